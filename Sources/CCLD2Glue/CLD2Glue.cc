// curate_identify_language: CLD2's ExtDetectLanguageSummaryCheckUTF8 (the call that also checks
// UTF-8) with no hints, plain text, the top of its three languages.
#include "CCLD2Glue.h"

#include <cstdio>   // compact_lang_det.h uses FILE without including it
#include <cstring>
#include <vector>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

namespace CLD2 {
// Declared in cld2/internal/lang_script.h, which the public header includes only in part.
const char *LanguageCode(Language lang);
}

extern "C" void curate_identify_language(const char *text, int length, curate_language *out) {
    CLD2::Language top3[3];
    int percent3[3] = {0, 0, 0};
    double normalized3[3];
    int text_bytes = 0, valid_prefix = 0;
    bool reliable = false;
    CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text, length, /*is_plain_text=*/true, &hints, /*flags=*/0, top3, percent3, normalized3,
        /*resultchunkvector=*/nullptr, &text_bytes, &reliable, &valid_prefix);
    const char *code = CLD2::LanguageCode(language);
    std::strncpy(out->code, code ? code : "un", sizeof out->code - 1);
    out->code[sizeof out->code - 1] = '\0';
    out->percent = language == top3[0] ? percent3[0] : 0;
    out->reliable = reliable ? 1 : 0;
    out->text_bytes = text_bytes;
    out->valid_prefix_bytes = valid_prefix;
}

extern "C" const char *curate_cld2_version(void) { return CLD2::DetectLanguageVersion(); }
