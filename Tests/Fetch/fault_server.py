#!/usr/bin/env python3
"""A small HTTP/1.1 server with one fault per path, for curate fetch's tests.

Serves on 127.0.0.1 (port 0: the kernel picks one, printed as "port N" on the first line of
standard output). Every answer is written by hand on the socket, so a fault is exactly what the
test asks for: a stall after the headers, a body that trickles, a reset in the middle, a
Content-Length longer than the body. It also answers CONNECT as an HTTP proxy does (then serves
the tunnelled requests itself), so the proxy route can be tested. Every request is appended
to the --log file as a JSON line (method, host, path, via proxy or not, User-Agent, time), and
the largest number of requests in flight at once per host is kept in LOG.peak.

    fault_server.py --image FILE --log FILE
"""
import argparse
import asyncio
import gzip
import json
import socket
import struct
import sys
import time

IMAGE = b""
seen = {}            # path -> times requested (for "fail first, then succeed")
LOG = None          # the --log file, open for appending
in_flight = {}       # host -> requests in flight now
peak = {}            # host -> most in flight at once

ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n"


def head(status, reason, fields, length=None):
    lines = [f"HTTP/1.1 {status} {reason}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def answer(path, writer, host):
    """Writes the response for `path`; returns False when the connection must close."""
    count = seen.get((host, path), 0) + 1
    seen[(host, path)] = count
    png = [("Content-Type", "image/png")]
    if path == "/robots.txt":
        writer.write(head(200, "OK", [("Content-Type", "text/plain")], len(ROBOTS)) + ROBOTS)
    elif path.startswith("/ok/") or path.startswith("/private/"):
        writer.write(head(200, "OK", png, len(IMAGE)) + IMAGE)
    elif path in ("/404.png", "/410.png"):
        status = int(path[1:4])
        body = b"<html><body>gone</body></html>"
        writer.write(head(status, "Not Found" if status == 404 else "Gone", [("Content-Type", "text/html")], len(body)) + body)
    elif path == "/flaky-500.png":
        if count == 1:
            writer.write(head(500, "Internal Server Error", [("Content-Type", "text/plain")], 5) + b"oops\n")
        else:
            writer.write(head(200, "OK", png, len(IMAGE)) + IMAGE)
    elif path == "/429.png":
        if count == 1:
            writer.write(head(429, "Too Many Requests", [("Retry-After", "1"), ("Content-Type", "text/plain")], 5) + b"slow\n")
        else:
            writer.write(head(200, "OK", png, len(IMAGE)) + IMAGE)
    elif path == "/429-forever.png":
        writer.write(head(429, "Too Many Requests", [("Retry-After", "3600"), ("Content-Type", "text/plain")], 5) + b"slow\n")
    elif path == "/stall.png":
        writer.write(head(200, "OK", png, len(IMAGE)))
        await writer.drain()
        await asyncio.sleep(3600)
    elif path == "/trickle.png":
        writer.write(head(200, "OK", png, len(IMAGE)))
        await writer.drain()
        for k in range(100000):
            writer.write(IMAGE[k % len(IMAGE):k % len(IMAGE) + 1])
            await writer.drain()
            await asyncio.sleep(0.2)
    elif path == "/reset.png":
        writer.write(head(200, "OK", png, len(IMAGE)) + IMAGE[: len(IMAGE) // 2])
        await writer.drain()
        await asyncio.sleep(0.1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close sends RST
        writer.transport.abort()
        return False
    elif path == "/short.png":
        writer.write(head(200, "OK", png, len(IMAGE) + 1000) + IMAGE)
        await writer.drain()
        writer.close()
        return False
    elif path == "/huge.png":
        writer.write(head(200, "OK", png + [("Transfer-Encoding", "chunked")]))
        chunk = b"\0" * (1 << 20)
        for _ in range(64):
            writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
    elif path in ("/loop-a", "/loop-b"):
        other = "/loop-b" if path == "/loop-a" else "/loop-a"
        writer.write(head(302, "Found", [("Location", other)], 0))
    elif path == "/redirect-ok.png":
        writer.write(head(301, "Moved Permanently", [("Location", "/ok/moved.png")], 0))
    elif path == "/to-metadata.png":
        writer.write(head(302, "Found", [("Location", "http://169.254.169.254/latest/meta-data/")], 0))
    elif path == "/to-loopback.png":
        port = writer.get_extra_info("sockname")[1]
        writer.write(head(302, "Found", [("Location", f"http://127.0.0.1:{port}/ok/loopback.png")], 0))
    elif path == "/gzip.png":
        body = gzip.compress(IMAGE)
        writer.write(head(200, "OK", png + [("Content-Encoding", "gzip")], len(body)) + body)
    elif path == "/html.png":
        body = b"<!doctype html><html><head><title>Not an image</title></head><body><p>soft 404</p></body></html>"
        writer.write(head(200, "OK", [("Content-Type", "text/html; charset=utf-8")], len(body)) + body)
    elif path == "/noai.png":
        writer.write(head(200, "OK", png + [("X-Robots-Tag", "noai, noimageai")], len(IMAGE)) + IMAGE)
    elif path == "/otherbot-noindex.png":
        writer.write(head(200, "OK", png + [("X-Robots-Tag", "otherbot: noindex")], len(IMAGE)) + IMAGE)
    else:
        writer.write(head(404, "Not Found", [("Content-Type", "text/plain")], 10) + b"not here\n\n")
    await writer.drain()
    return True


def record(entry):
    LOG.write(json.dumps(entry) + "\n")
    LOG.flush()


async def read_head(reader):
    data = await reader.readuntil(b"\r\n\r\n")
    lines = data.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    return method, target, fields


async def serve(reader, writer):
    proxied = None
    try:
        while True:
            try:
                method, target, fields = await read_head(reader)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                return
            if method == "CONNECT":
                proxied = target
                record({"method": "CONNECT", "target": target, "time": time.time()})
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
                continue
            host = fields.get("host", "")
            path = target
            if target.startswith("http://"):
                host = target.split("/", 3)[2]
                path = "/" + (target.split("/", 3)[3] if target.count("/") >= 3 else "")
            path = path.split("?", 1)[0]
            record({"method": method, "host": host, "path": path, "proxied": proxied, "user_agent": fields.get("user-agent", ""),
                    "time": time.time()})
            in_flight[host] = in_flight.get(host, 0) + 1
            if in_flight[host] > peak.get(host, 0):
                peak[host] = in_flight[host]
                with open(LOG.name + ".peak", "w") as f:
                    json.dump(peak, f)
            try:
                if path == "/slow/" or path.startswith("/slow/"):
                    await asyncio.sleep(0.05)
                    path = "/ok/" + path[len("/slow/"):]
                keep = await answer(path, writer, host)
            finally:
                in_flight[host] -= 1
            if not keep:
                return
    except ConnectionError:
        return
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    global IMAGE, LOG
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    LOG = open(args.log, "a")
    with open(args.image, "rb") as f:
        IMAGE = f.read()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
