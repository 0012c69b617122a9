/*
 * backend_xnnpack.c -- the XNNPACK backend (operator API of the Debian
 * 2022-02-16 snapshot). The only file that includes xnnpack.h: an upgrade
 * of XNNPACK is a port of this file. Built only with XNNPACK=1.
 */
#include <xnnpack.h>

#include "nn/nn_int.h"

static sl_status xp_open(void **ctx, int threads)
{
    (void)threads;
    *ctx = NULL;
    return SL_OK;
}

static void xp_close(void *ctx)
{
    (void)ctx;
}

static sl_status xp_prepare(void *ctx, const struct sl_nn_exec *x, int n, void **op)
{
    (void)ctx; (void)x; (void)n;
    *op = NULL;
    return SL_ERR_UNSUPPORTED;
}

static sl_status xp_run(void *ctx, const struct sl_nn_exec *x, int n, void *op)
{
    (void)ctx; (void)x; (void)n; (void)op;
    return SL_ERR_INTERNAL;
}

const struct sl_nn_backend_ops sl__nn_backend_xnnpack = {
    .name = "xnnpack",
    .open = xp_open,
    .close = xp_close,
    .node_prepare = xp_prepare,
    .node_run = xp_run,
    .node_free = NULL,
};
