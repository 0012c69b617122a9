/*
 * dev.h -- the shualian-dev program: benchmarks, crash tests, kernel
 * probes, the face evaluation and the calibration-table builder, used by
 * `make bench` and the test suites. It is not installed; it links the
 * static library and may use its internals (src/), which the product
 * program (cli/) does not. It shares cli/util.c's output helpers (and
 * face_opts.c, progress.c).
 */
#ifndef SL_DEV_H
#define SL_DEV_H

#include "../cli/cli.h"
#include "base/base.h"   /* dev tools may use the internals */

int dev_bench(int argc, char **argv);      /* bench_index.c */
int dev_index(int argc, char **argv);      /* index_crash.c */
int dev_nn(int argc, char **argv);         /* nn_probe.c    */
int dev_img(int argc, char **argv);        /* img_bench.c   */
int dev_face(int argc, char **argv);       /* face_pose_eval.c */
int dev_face_bench(int argc, char **argv); /* face_bench.c   */
int dev_id(int argc, char **argv);         /* id_fusion.c   */
int dev_hall(int argc, char **argv);       /* hall_serve.c: links app/ (the server) */
int dev_hall_fill(int argc, char **argv);  /* hall_fill.c: hall fill|load       */
int dev_eval(int argc, char **argv);       /* eval.c        */
int dev_calib(int argc, char **argv);      /* calib.c       */

/* 1-minute load average (other work on the machine, for reading a
 * benchmark's noise); -1 if unknown. main.c */
double dev_load1(void);

#endif
