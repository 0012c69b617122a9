/*
 * shualian.h -- the umbrella header: library users include this one.
 */
#ifndef SHUALIAN_H
#define SHUALIAN_H

#include "shualian/status.h"
#include "shualian/image.h"
#include "shualian/util.h"

#endif
