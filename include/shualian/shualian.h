/*
 * shualian.h -- the umbrella header: library users include this one and
 * get every public header (docs/api.md lists what each holds). It compiles
 * as C17 and as C++ with -Wall -Wextra -Werror -pedantic
 * (tests/suites/17-api.sh). json.h and face_json.h need jansson's headers
 * (`pkg-config --cflags shualian` gives them).
 */
#ifndef SHUALIAN_H
#define SHUALIAN_H

#include "shualian/status.h"
#include "shualian/util.h"
#include "shualian/image.h"
#include "shualian/nn.h"
#include "shualian/face.h"
#include "shualian/engine.h"
#include "shualian/face_json.h"
#include "shualian/index.h"
#include "shualian/idnum.h"
#include "shualian/calendar.h"
#include "shualian/json.h"

#endif
