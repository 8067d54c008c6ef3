/*
 * Compiled kernels for PDQ hashing (sharedhash.hashing.pdq holds the algorithm and a numpy fallback).
 *
 * sample():  the 64x64 PDQ buffer computed only at the sample points, as weighted sums of luma (float64),
 *            reading the pixels once and straight from Pillow's memory (no copy into numpy).
 * emulate(): the reference C++ pipeline step by step in float32 (full-size box filters), used only when the
 *            fast result sits too close to a tie to be sure it equals the reference bit for bit.
 *
 * Pixels come either from a Pillow "PIL Imaging" capsule (Image.getim()) or from a C-contiguous buffer.
 * Pillow's struct is internal, so its layout is validated field by field against what Python knows about
 * the image (size, pixel size, line size); on any mismatch the caller falls back to a numpy copy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ABI_VERSION 2

/* Pillow >= 12: the mode is an enum (ModeID). */
typedef struct {
    int mode;
    int type;
    int depth;
    int bands;
    int xsize;
    int ysize;
    void *palette;
    uint8_t **image8;
    int32_t **image32;
    char **image;
    char *block;
    void *blocks;
    int pixelsize;
    int linesize;
} ImagingNew;

/* Pillow <= 11: the mode is a short string. */
typedef struct {
    char mode[7];
    int type;
    int depth;
    int bands;
    int xsize;
    int ysize;
    void *palette;
    uint8_t **image8;
    int32_t **image32;
    char **image;
    char *block;
    void *blocks;
    int pixelsize;
    int linesize;
} ImagingOld;

typedef struct {
    const uint8_t **rows;
    int owns_rows;
    Py_buffer view;
    int has_view;
} Pixels;

static void pixels_release(Pixels *px) {
    if (px->owns_rows) {
        free((void *)px->rows);
    }
    if (px->has_view) {
        PyBuffer_Release(&px->view);
    }
}

/* Row pointers for the image in `source`; returns 0 and sets a Python error on failure. */
static int pixels_get(PyObject *source, int width, int height, int pixelsize, Pixels *px) {
    memset(px, 0, sizeof(*px));
    if (PyCapsule_CheckExact(source)) {
        void *ptr = PyCapsule_GetPointer(source, "Pillow Imaging");
        if (ptr == NULL) {
            PyErr_Clear();
            ptr = PyCapsule_GetPointer(source, "PIL Imaging");
        }
        if (ptr == NULL) {
            return 0;
        }
        const ImagingNew *a = (const ImagingNew *)ptr;
        const ImagingOld *b = (const ImagingOld *)ptr;
        char **image = NULL;
        if (a->xsize == width && a->ysize == height && a->pixelsize == pixelsize &&
            a->linesize == width * pixelsize && a->image != NULL) {
            image = a->image;
        } else if (b->xsize == width && b->ysize == height && b->pixelsize == pixelsize &&
                   b->linesize == width * pixelsize && b->image != NULL) {
            image = b->image;
        }
        if (image == NULL) {
            PyErr_SetString(PyExc_ValueError, "unrecognised Pillow image layout");
            return 0;
        }
        px->rows = (const uint8_t **)image;
        return 1;
    }
    if (PyObject_GetBuffer(source, &px->view, PyBUF_C_CONTIGUOUS) != 0) {
        return 0;
    }
    px->has_view = 1;
    if (px->view.len < (Py_ssize_t)width * height * pixelsize) {
        PyErr_SetString(PyExc_ValueError, "pixel buffer is smaller than the image");
        pixels_release(px);
        return 0;
    }
    px->rows = malloc(sizeof(uint8_t *) * (size_t)height);
    if (px->rows == NULL) {
        PyErr_NoMemory();
        pixels_release(px);
        return 0;
    }
    px->owns_rows = 1;
    for (int y = 0; y < height; y++) {
        px->rows[y] = (const uint8_t *)px->view.buf + (size_t)y * width * pixelsize;
    }
    return 1;
}

/* acc[i] += w * row[i] over a whole row of bytes: the one pass over the pixels, written so that compilers
 * vectorise it (contiguous, no dependence between iterations). */
__attribute__((target_clones("avx2", "default")))
static void accumulate_row(double *restrict acc, const uint8_t *restrict row, size_t n, double w) {
    for (size_t i = 0; i < n; i++) {
        acc[i] += w * (double)row[i];
    }
}

static int check_weights(Py_buffer *start, Py_buffer *len, Py_buffer *w, int limit, Py_ssize_t *stride) {
    if (start->len != 64 * 4 || len->len != 64 * 4 || w->len % (64 * 8) != 0 || w->len == 0) {
        PyErr_SetString(PyExc_ValueError, "weights must be int32[64], int32[64], float64[64*k]");
        return 0;
    }
    *stride = w->len / (64 * 8);
    const int32_t *s = start->buf;
    const int32_t *n = len->buf;
    for (int i = 0; i < 64; i++) {
        if (s[i] < 0 || n[i] < 1 || n[i] > *stride || s[i] + n[i] > limit) {
            PyErr_SetString(PyExc_ValueError, "weight support out of range");
            return 0;
        }
    }
    return 1;
}

/*
 * sample(source, width, height, pixelsize, grey, rstart, rlen, rw, cstart, clen, cw, out)
 * out[a*64+b] = sum_y sum_x rw[a][y-rstart[a]] * cw[b][x-cstart[b]] * luma[y][x]
 */
static PyObject *pdq_sample(PyObject *self, PyObject *args) {
    PyObject *source;
    int width, height, pixelsize, grey;
    Py_buffer rs, rl, rw, cs, cl, cw, out;
    if (!PyArg_ParseTuple(args, "Oiiiiy*y*y*y*y*y*w*", &source, &width, &height, &pixelsize, &grey, &rs, &rl,
                          &rw, &cs, &cl, &cw, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    Pixels px;
    int have_px = 0;
    double *acc = NULL, *luma = NULL;
    Py_ssize_t rstride, cstride;
    if (width < 1 || height < 1 || (pixelsize != 1 && pixelsize != 3 && pixelsize != 4)) {
        PyErr_SetString(PyExc_ValueError, "bad image geometry");
        goto done;
    }
    if (!check_weights(&rs, &rl, &rw, height, &rstride) || !check_weights(&cs, &cl, &cw, width, &cstride)) {
        goto done;
    }
    if (out.len != 64 * 64 * 8) {
        PyErr_SetString(PyExc_ValueError, "out must be float64[4096]");
        goto done;
    }
    if (!pixels_get(source, width, height, pixelsize, &px)) {
        goto done;
    }
    have_px = 1;
    size_t rowbytes = (size_t)width * pixelsize;
    acc = malloc(sizeof(double) * rowbytes);
    luma = malloc(sizeof(double) * (size_t)width);
    if (acc == NULL || luma == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const int32_t *rstart = rs.buf, *rlen = rl.buf, *cstart = cs.buf, *clen = cl.buf;
        const double *rwt = rw.buf, *cwt = cw.buf;
        double *o = out.buf;
        Py_BEGIN_ALLOW_THREADS
        for (int a = 0; a < 64; a++) {
            /* Vertical first: the weighted sum of this sample's rows, per byte (channel) of each pixel. */
            memset(acc, 0, sizeof(double) * rowbytes);
            for (int t = 0; t < rlen[a]; t++) {
                accumulate_row(acc, px.rows[rstart[a] + t], rowbytes, rwt[a * rstride + t]);
            }
            /* Luma is linear, so it can be taken after the vertical sums. */
            if (grey) {
                for (int x = 0; x < width; x++) {
                    luma[x] = acc[(size_t)x * pixelsize];
                }
            } else {
                for (int x = 0; x < width; x++) {
                    const double *q = acc + (size_t)x * pixelsize;
                    luma[x] = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
                }
            }
            for (int b = 0; b < 64; b++) {
                const double *l = luma + cstart[b];
                const double *wx = cwt + b * cstride;
                double s0 = 0.0;
                for (int k = 0; k < clen[b]; k++) {
                    s0 += wx[k] * l[k];
                }
                o[a * 64 + b] = s0;
            }
        }
        Py_END_ALLOW_THREADS
    }
    result = Py_NewRef(Py_None);
done:
    free(acc);
    free(luma);
    if (have_px) {
        pixels_release(&px);
    }
    PyBuffer_Release(&rs);
    PyBuffer_Release(&rl);
    PyBuffer_Release(&rw);
    PyBuffer_Release(&cs);
    PyBuffer_Release(&cl);
    PyBuffer_Release(&cw);
    PyBuffer_Release(&out);
    return result;
}

/* ---- exact emulation of the reference (float32, same operations in the same order) ---- */

static void box1d(const float *in, float *out, int n, int stride, int full) {
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = n - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, count = 0;
    float sum = 0.0f;
    for (int i = 0; i < p1; i++) {
        sum += in[ri];
        count++;
        ri += stride;
    }
    for (int i = 0; i < p2; i++) {
        sum += in[ri];
        count++;
        out[oi] = sum / count;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < p3; i++) {
        sum += in[ri];
        sum -= in[li];
        out[oi] = sum / count;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < p4; i++) {
        sum -= in[li];
        count--;
        out[oi] = sum / count;
        li += stride;
        oi += stride;
    }
}

/* box1d on 4 rows at once: four independent chains of the very same operations, so the CPU overlaps their
 * latencies (the single-row loop is bound by the latency of its running sum). Results are identical. */
static void box_rows4(const float *in, float *out, int n, size_t rowstride, int full) {
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = n - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, count = 0;
    const float *i0 = in, *i1 = in + rowstride, *i2 = in + 2 * rowstride, *i3 = in + 3 * rowstride;
    float *o0 = out, *o1 = out + rowstride, *o2 = out + 2 * rowstride, *o3 = out + 3 * rowstride;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (int i = 0; i < p1; i++, ri++) {
        s0 += i0[ri];
        s1 += i1[ri];
        s2 += i2[ri];
        s3 += i3[ri];
        count++;
    }
    for (int i = 0; i < p2; i++, ri++, oi++) {
        s0 += i0[ri];
        s1 += i1[ri];
        s2 += i2[ri];
        s3 += i3[ri];
        count++;
        o0[oi] = s0 / count;
        o1[oi] = s1 / count;
        o2[oi] = s2 / count;
        o3[oi] = s3 / count;
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        s0 += i0[ri];
        s0 -= i0[li];
        s1 += i1[ri];
        s1 -= i1[li];
        s2 += i2[ri];
        s2 -= i2[li];
        s3 += i3[ri];
        s3 -= i3[li];
        o0[oi] = s0 / count;
        o1[oi] = s1 / count;
        o2[oi] = s2 / count;
        o3[oi] = s3 / count;
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        s0 -= i0[li];
        s1 -= i1[li];
        s2 -= i2[li];
        s3 -= i3[li];
        count--;
        o0[oi] = s0 / count;
        o1[oi] = s1 / count;
        o2[oi] = s2 / count;
        o3[oi] = s3 / count;
    }
}

static void box_rows(const float *in, float *out, int rows, int cols, int full) {
    int y = 0;
    for (; y + 4 <= rows; y += 4) {
        box_rows4(in + (size_t)y * cols, out + (size_t)y * cols, cols, (size_t)cols, full);
    }
    for (; y < rows; y++) {
        box1d(in + (size_t)y * cols, out + (size_t)y * cols, cols, 1, full);
    }
}

/* Luma exactly as the reference's Python wrapper computes it: float64 products summed left to right, rounded to
 * float32. Kept in its own function so that it vectorises (the operations per pixel do not change). */
__attribute__((target_clones("avx2", "default")))
static void luma_exact_rgbx(const uint8_t *restrict p, float *restrict o, int width) {
    for (int x = 0; x < width; x++) {
        double r = p[4 * x], g = p[4 * x + 1], b = p[4 * x + 2];
        double l = r * 0.299 + g * 0.587;
        l = l + b * 0.114;
        o[x] = (float)l;
    }
}

static void luma_exact(const uint8_t *p, float *o, int width, int pixelsize, int grey) {
    if (pixelsize == 4 && !grey) {
        luma_exact_rgbx(p, o, width);
        return;
    }
    for (int x = 0; x < width; x++) {
        const uint8_t *q = p + (size_t)x * pixelsize;
        double r = q[0], g = grey ? q[0] : q[1], b = grey ? q[0] : q[2];
        double l = r * 0.299 + g * 0.587;
        l = l + b * 0.114;
        o[x] = (float)l;
    }
}

/* The column pass, run across all columns at once: per column, the identical sequence of operations. */
__attribute__((target_clones("avx2", "default")))
static void box_cols(const float *in, float *out, int rows, int cols, int full, float *sums) {
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = rows - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, count = 0;
    for (int j = 0; j < cols; j++) {
        sums[j] = 0.0f;
    }
    for (int i = 0; i < p1; i++, ri++) {
        const float *a = in + (size_t)ri * cols;
        for (int j = 0; j < cols; j++) {
            sums[j] += a[j];
        }
        count++;
    }
    for (int i = 0; i < p2; i++, ri++, oi++) {
        const float *a = in + (size_t)ri * cols;
        float *o = out + (size_t)oi * cols;
        count++;
        float c = (float)count;
        for (int j = 0; j < cols; j++) {
            sums[j] += a[j];
            o[j] = sums[j] / c;
        }
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        const float *a = in + (size_t)ri * cols;
        const float *s = in + (size_t)li * cols;
        float *o = out + (size_t)oi * cols;
        float c = (float)count;
        for (int j = 0; j < cols; j++) {
            sums[j] += a[j];
            sums[j] -= s[j];
            o[j] = sums[j] / c;
        }
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        const float *s = in + (size_t)li * cols;
        float *o = out + (size_t)oi * cols;
        count--;
        float c = (float)count;
        for (int j = 0; j < cols; j++) {
            sums[j] -= s[j];
            o[j] = sums[j] / c;
        }
    }
}

static int window_size(int old_dim) { return (old_dim + 2 * 64 - 1) / (2 * 64); }

static float dct_matrix[16][64];

static void init_dct(void) {
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0);
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++) {
            dct_matrix[i][j] = (float)(scale * cos((pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)));
        }
    }
}

static int quality_of(float buf[64][64]) {
    int gradient_sum = 0;
    for (int i = 0; i < 63; i++) {
        for (int j = 0; j < 64; j++) {
            int d = (int)(((buf[i][j] - buf[i + 1][j]) * 100) / 255);
            gradient_sum += abs(d);
        }
    }
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 63; j++) {
            int d = (int)(((buf[i][j] - buf[i][j + 1]) * 100) / 255);
            gradient_sum += abs(d);
        }
    }
    int q = gradient_sum / 90;
    return q > 100 ? 100 : q;
}

static void dct64to16(float a[64][64], float out[16][16]) {
    float t[16][64];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++) {
            float s = 0.0f;
            for (int k = 0; k < 64; k++) {
                s += dct_matrix[i][k] * a[k][j];
            }
            t[i][j] = s;
        }
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            float s = 0.0f;
            for (int k = 0; k < 64; k++) {
                s += t[i][k] * dct_matrix[j][k];
            }
            out[i][j] = s;
        }
    }
}

/* emulate(source, width, height, pixelsize, grey, out) -> quality; out is float32[256] (16x16 DCT). */
static PyObject *pdq_emulate(PyObject *self, PyObject *args) {
    PyObject *source;
    int width, height, pixelsize, grey;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "Oiiiiw*", &source, &width, &height, &pixelsize, &grey, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    Pixels px;
    int have_px = 0;
    float *b1 = NULL, *b2 = NULL, *sums = NULL;
    if (width < 1 || height < 1 || (pixelsize != 1 && pixelsize != 3 && pixelsize != 4)) {
        PyErr_SetString(PyExc_ValueError, "bad image geometry");
        goto done;
    }
    if (out.len != 256 * 4) {
        PyErr_SetString(PyExc_ValueError, "out must be float32[256]");
        goto done;
    }
    if (!pixels_get(source, width, height, pixelsize, &px)) {
        goto done;
    }
    have_px = 1;
    size_t n = (size_t)width * height;
    b1 = malloc(n * sizeof(float));
    b2 = malloc(n * sizeof(float));
    sums = malloc((size_t)width * sizeof(float));
    if (b1 == NULL || b2 == NULL || sums == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int quality;
    Py_BEGIN_ALLOW_THREADS
    /* The reference's Python wrapper computes luma in float64 with numpy, then rounds it to float32. */
    for (int y = 0; y < height; y++) {
        luma_exact(px.rows[y], b1 + (size_t)y * width, width, pixelsize, grey);
    }
    float buf[64][64];
    if (height == 64 && width == 64) {
        memcpy(buf, b1, sizeof(buf));
    } else {
        int wr = window_size(width), wc = window_size(height);
        for (int rep = 0; rep < 2; rep++) {
            box_rows(b1, b2, height, width, wr);
            box_cols(b2, b1, height, width, wc, sums);
        }
        for (int i = 0; i < 64; i++) {
            int yi = (int)(((i + 0.5) * height) / 64);
            for (int j = 0; j < 64; j++) {
                int xj = (int)(((j + 0.5) * width) / 64);
                buf[i][j] = b1[(size_t)yi * width + xj];
            }
        }
    }
    quality = quality_of(buf);
    dct64to16(buf, (float(*)[16])out.buf);
    Py_END_ALLOW_THREADS
    result = PyLong_FromLong(quality);
done:
    free(b1);
    free(b2);
    free(sums);
    if (have_px) {
        pixels_release(&px);
    }
    PyBuffer_Release(&out);
    return result;
}

/*
 * quality(buf, tol) -> (quality, unsure): the reference's quality metric on a float64 64x64 buffer rounded to
 * float32, and whether float32 noise of up to `tol` per value could change it (a term within reach of another
 * integer, enough of them to cross a step of 90).
 */
static PyObject *pdq_quality(PyObject *self, PyObject *args) {
    Py_buffer in;
    double tol;
    if (!PyArg_ParseTuple(args, "y*d", &in, &tol)) {
        return NULL;
    }
    if (in.len != 64 * 64 * 8) {
        PyBuffer_Release(&in);
        PyErr_SetString(PyExc_ValueError, "buf must be float64[4096]");
        return NULL;
    }
    const double *b = in.buf;
    float f[64][64];
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 64; j++) {
            f[i][j] = (float)b[i * 64 + j];
        }
    }
    PyBuffer_Release(&in);
    double reach = 2.0 * tol * 100.0 / 255.0;
    long total = 0, unsure = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < (pass ? 64 : 63); i++) {
            for (int j = 0; j < (pass ? 63 : 64); j++) {
                float u = f[i][j], v = pass ? f[i][j + 1] : f[i + 1][j];
                float scaled = ((u - v) * 100) / 255;
                total += labs((long)(int)scaled);
                double nearest = nearbyint((double)scaled);
                if (nearest != 0.0 && fabs((double)scaled - nearest) < reach) {
                    unsure++;
                }
            }
        }
    }
    long q = total / 90, lo = (total - unsure) / 90, hi = (total + unsure) / 90;
    q = q > 100 ? 100 : q;
    lo = lo > 100 ? 100 : lo;
    hi = hi > 100 ? 100 : hi;
    return Py_BuildValue("(iO)", (int)q, lo != hi ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"sample", pdq_sample, METH_VARARGS, "The 64x64 PDQ buffer as weighted sums of luma at the sample points."},
    {"emulate", pdq_emulate, METH_VARARGS, "The reference pipeline in float32: 16x16 DCT into out, returns quality."},
    {"quality", pdq_quality, METH_VARARGS, "Quality of a 64x64 buffer, and whether float32 noise could change it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pdqcore", "Compiled PDQ kernels.", -1, methods};

PyMODINIT_FUNC PyInit__pdqcore(void) {
    init_dct();
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
