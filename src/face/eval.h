/*
 * eval.h -- the evaluation driver's interface is public now:
 * include/shualian/eval.h.
 */
#include "shualian/eval.h"
