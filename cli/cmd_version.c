/*
 * cmd_version.c -- `shualian version`: version, CPU features, backends.
 */
#include <stdio.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian version\n\nPrints the version, the CPU "
               "features the kernels use, and the NN backends built in.\n");
        return SL_EXIT_OK;
    }
    char cpu[128];
    json_t *o = json_pack("{s:s,s:s,s:[s]}", "version", SL_VERSION, "cpu",
                          sl_cpu_describe(cpu, sizeof(cpu)), "nn_backends",
                          "ref");
#ifdef SL_HAVE_XNNPACK
    json_array_append_new(json_object_get(o, "nn_backends"), json_string("xnnpack"));
#endif
    return sl_cli_print(o);
}
