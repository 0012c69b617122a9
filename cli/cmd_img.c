/*
 * cmd_img.c -- `shualian img ...` (filled in with the img module).
 */
#include <stdio.h>

#include "cli.h"

int cmd_img(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: shualian img info FILE\n");
    return SL_EXIT_USAGE;
}
