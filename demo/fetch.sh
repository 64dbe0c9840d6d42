#!/usr/bin/env bash
# make demo's curate fetch step: the sample crawl written as Common Crawl's dumps are (pages, no
# image bytes), its images served by Debian's nginx on a loopback address of its own (port 80,
# the crawl's URLs' port; --resolve pins the crawl's host names there), then crawl-dump and
# curate fetch, as a user with a Common Crawl WARC runs them. Needs root (port 80) and nginx
# (make setup installs it); says so and stops otherwise.
set -euo pipefail
curate=${1:?usage: demo/fetch.sh CURATE_BINARY OUT_FOLDER}
out=${2:?usage: demo/fetch.sh CURATE_BINARY OUT_FOLDER}
address=127.77.252.1
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/nginx ]; then
  echo "(skipped: serving the images needs nginx, from make setup, and root for port 80)"
  exit 0
fi
rm -rf "$out" && mkdir -p "$out"
out=$(cd "$out" && pwd)
"$curate" synth-crawl --size sample --out "$out/crawl" --images-apart "$out/www" > /dev/null
cat > "$out/nginx.conf" <<CONF
daemon off;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $out/t-body; proxy_temp_path $out/t-proxy; fastcgi_temp_path $out/t-fcgi;
  uwsgi_temp_path $out/t-uwsgi; scgi_temp_path $out/t-scgi;
  types { image/jpeg jpg; image/png png; image/gif gif; image/webp webp; }
  server { listen $address:80; root $out/www/\$host; }
}
CONF
/usr/sbin/nginx -c "$out/nginx.conf" -p "$out" 2> /dev/null &
server=$!
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/nginx.pid" ] && break; sleep 0.1; done
"$curate" crawl-dump "$out/crawl/crawl.warc.gz" --work "$out/work" | grep -E "references\.(missing|resolved)"
"$curate" fetch --work "$out/work" --host-delay 0.01 \
  --resolve "www.shapes-gallery.example:80:$address" --resolve "cdn.shapes-gallery.example:80:$address" | grep -v "^crawl-dump:  "
echo "outcomes in the catalog: sqlite3 $out/work/catalog.sqlite 'SELECT outcome, count(*) FROM fetch_outcomes GROUP BY 1'"
