// CLD2 (Chrome's Compact Language Detector 2, Debian's libcld2-dev) behind a C function, for
// Filters' language identification. CLD2's API is C++ (namespaces, a std::vector argument);
// Swift calls this instead.
#ifndef CURATE_CCLD2GLUE_H
#define CURATE_CCLD2GLUE_H

#ifdef __cplusplus
extern "C" {
#endif

/// What CLD2 says about one text.
typedef struct {
    /// The top language's code (ISO 639-1 where there is one: "en", "de", "zh", "zh-Hant"; "un"
    /// when CLD2 cannot tell), NUL-terminated.
    char code[16];
    /// Of the text's letters, the percentage CLD2 gives the top language (0 to 100).
    int percent;
    /// CLD2's own verdict: the top language is clearly more likely than the second.
    int reliable;
    /// The letters CLD2 scored, in bytes (tags, digits and punctuation are not scored).
    int text_bytes;
    /// The length of the input's leading valid UTF-8; less than the length: CLD2 stopped there.
    int valid_prefix_bytes;
} curate_language;

/// Identifies the language of `length` bytes of plain UTF-8 text. Thread-safe (CLD2 keeps no
/// state between calls).
void curate_identify_language(const char *text, int length, curate_language *out);

/// CLD2's version string ("code version - data build date").
const char *curate_cld2_version(void);

#ifdef __cplusplus
}
#endif

#endif
