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

#define ABI_VERSION 1

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

/* The column pass, run across all columns at once: per column, the identical sequence of operations. */
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
        const uint8_t *p = px.rows[y];
        float *o = b1 + (size_t)y * width;
        for (int x = 0; x < width; x++) {
            const uint8_t *q = p + (size_t)x * pixelsize;
            double r = q[0], g = grey ? q[0] : q[1], b = grey ? q[0] : q[2];
            double l = r * 0.299 + g * 0.587;
            l = l + b * 0.114;
            o[x] = (float)l;
        }
    }
    float buf[64][64];
    if (height == 64 && width == 64) {
        memcpy(buf, b1, sizeof(buf));
    } else {
        int wr = window_size(width), wc = window_size(height);
        for (int rep = 0; rep < 2; rep++) {
            for (int y = 0; y < height; y++) {
                box1d(b1 + (size_t)y * width, b2 + (size_t)y * width, width, 1, wr);
            }
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

static PyMethodDef methods[] = {
    {"sample", pdq_sample, METH_VARARGS, "The 64x64 PDQ buffer as weighted sums of luma at the sample points."},
    {"emulate", pdq_emulate, METH_VARARGS, "The reference pipeline in float32: 16x16 DCT into out, returns quality."},
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
