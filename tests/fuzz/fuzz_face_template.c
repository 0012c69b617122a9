/*
 * fuzz_face_template.c -- sl_face_template_read on arbitrary bytes: never
 * crashes; whatever parses re-serialises to the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sl_face_template t, u;
    static uint8_t buf[SL_FACE_TEMPLATE_HEADER + 4 * SL_FACE_TEMPLATE_MAX_DIM + 4];
    if (sl_face_template_read(&t, data, size) != SL_OK)
        return 0;
    size_t len;
    SL_ASSERT(sl_face_template_write(buf, sizeof(buf), &len, &t) == SL_OK);
    SL_ASSERT(sl_face_template_read(&u, buf, len) == SL_OK);
    SL_ASSERT(u.dim == t.dim && u.elem == t.elem && strcmp(u.model_id, t.model_id) == 0);
    /* f32/f16 round-trip exactly; i8 may re-scale */
    if (t.elem != SL_FACE_ELEM_I8)
        SL_ASSERT(len == size && memcmp(buf, data, len) == 0);
    double c;
    (void)sl_face_template_compare(&c, &t, &u);
    return 0;
}
