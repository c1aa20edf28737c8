/* cli/cmd_version.c - `lfr version`: what is running. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
    int json = argc > 1 && !strcmp(argv[1], "--json");
    if (argc > 1 + json) return cli_usage("version", "unexpected argument '%s'", argv[1 + json]);
    char dir[4096];
    lfr_default_model_dir(dir, sizeof dir);
    if (json) {
        cli_print_json(json_pack("{s:s,s:s,s:s}", "lfr", LFR_VERSION, "onnxruntime",
                                 lfr_runtime_ort_version(), "model_dir", dir));
    } else {
        printf("lfr %s\nonnxruntime %s\nmodels in %s\n", LFR_VERSION, lfr_runtime_ort_version(),
               dir);
    }
    return EXIT_OK;
}
