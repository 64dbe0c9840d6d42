// libFuzzer's entry for programs with their own main (compiler-rt's FuzzerInterface.h). SwiftPM
// links an executable's main under another name, so curate-fuzz keeps its main and calls this.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
