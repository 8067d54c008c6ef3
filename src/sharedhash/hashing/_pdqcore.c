/*
 * Compiled kernels for PDQ hashing (sharedhash.hashing.pdq holds the algorithm and a numpy fallback).
 *
 * sample():  the 64x64 PDQ buffer computed only at the sample points, as weighted sums of luma (float64),
 *            reading the pixels once and straight from Pillow's memory (no copy into numpy).
 * emulate(): the reference C++ pipeline step by step in float32 (full-size box filters, streamed row by row so
 *            only a window of rows is held), used only when the fast result sits too close to a tie to be sure
 *            it equals the reference bit for bit.
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

#define ABI_VERSION 6

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
/* acc[i] += m * row[i] with m a small integer: exact in float32 while the sums stay below 2**24. */
__attribute__((target_clones("avx2", "default")))
static void accumulate_row_exact(float *restrict acc, const uint8_t *restrict row, size_t n, float m) {
    for (size_t i = 0; i < n; i++) {
        acc[i] += m * (float)row[i];
    }
}

static PyObject *pdq_sample(PyObject *self, PyObject *args) {
    PyObject *source;
    int width, height, pixelsize, grey;
    Py_buffer rs, rl, rw, ru, cs, cl, cw, out;
    if (!PyArg_ParseTuple(args, "Oiiiiy*y*y*y*y*y*y*w*", &source, &width, &height, &pixelsize, &grey, &rs, &rl,
                          &rw, &ru, &cs, &cl, &cw, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    Pixels px;
    int have_px = 0;
    double *acc = NULL, *luma = NULL;
    float *facc = NULL;
    Py_ssize_t rstride, cstride;
    if (width < 1 || height < 1 || (pixelsize != 1 && pixelsize != 3 && pixelsize != 4)) {
        PyErr_SetString(PyExc_ValueError, "bad image geometry");
        goto done;
    }
    if (!check_weights(&rs, &rl, &rw, height, &rstride) || !check_weights(&cs, &cl, &cw, width, &cstride)) {
        goto done;
    }
    if (out.len != 64 * 64 * 8 || ru.len != 64 * 8) {
        PyErr_SetString(PyExc_ValueError, "out must be float64[4096], units float64[64]");
        goto done;
    }
    if (!pixels_get(source, width, height, pixelsize, &px)) {
        goto done;
    }
    have_px = 1;
    size_t rowbytes = (size_t)width * pixelsize;
    acc = malloc(sizeof(double) * rowbytes);
    facc = malloc(sizeof(float) * rowbytes);
    luma = malloc(sizeof(double) * (size_t)width);
    if (acc == NULL || facc == NULL || luma == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const int32_t *rstart = rs.buf, *rlen = rl.buf, *cstart = cs.buf, *clen = cl.buf;
        const double *rwt = rw.buf, *cwt = cw.buf, *units = ru.buf;
        double *o = out.buf;
        Py_BEGIN_ALLOW_THREADS
        for (int a = 0; a < 64; a++) {
            /* Vertical first: the weighted sum of this sample's rows, per byte (channel) of each pixel. */
            if (units[a] > 0) {
                memset(facc, 0, sizeof(float) * rowbytes);
                for (int t = 0; t < rlen[a]; t++) {
                    float m = (float)nearbyint(rwt[a * rstride + t] / units[a]);
                    accumulate_row_exact(facc, px.rows[rstart[a] + t], rowbytes, m);
                }
                for (size_t i = 0; i < rowbytes; i++) {
                    acc[i] = (double)facc[i] * units[a];
                }
            } else {
                memset(acc, 0, sizeof(double) * rowbytes);
                for (int t = 0; t < rlen[a]; t++) {
                    accumulate_row(acc, px.rows[rstart[a] + t], rowbytes, rwt[a * rstride + t]);
                }
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
    free(facc);
    free(luma);
    if (have_px) {
        pixels_release(&px);
    }
    PyBuffer_Release(&rs);
    PyBuffer_Release(&rl);
    PyBuffer_Release(&rw);
    PyBuffer_Release(&ru);
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

/* Luma exactly as the reference's Python wrapper computes it: float64 products summed left to right, rounded to
 * float32. The products only take 256 values per channel, so they come from tables (the same doubles). */
static double luma_r[256], luma_g[256], luma_b[256];

static void init_luma(void) {
    for (int v = 0; v < 256; v++) {
        luma_r[v] = (double)v * 0.299;
        luma_g[v] = (double)v * 0.587;
        luma_b[v] = (double)v * 0.114;
    }
}

static void luma_exact_rgbx(const uint8_t *restrict p, float *restrict o, int width) {
    for (int x = 0; x < width; x++) {
        const uint8_t *q = p + 4 * x;
        double l = luma_r[q[0]] + luma_g[q[1]];
        l = l + luma_b[q[2]];
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
        uint8_t r = q[0], g = grey ? q[0] : q[1], b = grey ? q[0] : q[2];
        double l = luma_r[r] + luma_g[g];
        l = l + luma_b[b];
        o[x] = (float)l;
    }
}

static int window_size(int old_dim) { return (old_dim + 2 * 64 - 1) / (2 * 64); }

static float dct_matrix[16][64];  /* as the reference rounds it, for the exact path */
static double dct_matrix_d[16][64]; /* in full precision, for the fast path */

static void init_dct(void) {
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0);
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++) {
            double c = cos((pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1));
            dct_matrix[i][j] = (float)(scale * c);
            dct_matrix_d[i][j] = sqrt(2.0 / 64.0) * c;
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

/* Luma of row `y` of the upright image (EXIF `orientation` applied to the stored `width` x `height` pixels),
 * without making the upright copy: each pixel is read where the orientation puts it. */
static void luma_upright(const Pixels *px, int y, float *o, int width, int height, int pixelsize, int grey,
                         int orientation) {
    if (orientation == 1) {
        luma_exact(px->rows[y], o, width, pixelsize, grey);
        return;
    }
    /* (axes swapped, stored rows reversed, stored columns reversed), as sharedhash.hashing.pdq._ORIENTATIONS */
    static const int swap[9] = {0, 0, 0, 0, 0, 1, 1, 1, 1};
    static const int flip_rows[9] = {0, 0, 0, 1, 1, 0, 1, 1, 0};
    static const int flip_cols[9] = {0, 0, 1, 1, 0, 0, 0, 1, 1};
    int upright_width = swap[orientation] ? height : width;
    for (int x = 0; x < upright_width; x++) {
        int u = swap[orientation] ? y : x, v = swap[orientation] ? x : y;
        int sx = flip_cols[orientation] ? width - 1 - u : u;
        int sy = flip_rows[orientation] ? height - 1 - v : v;
        luma_exact(px->rows[sy] + (size_t)sx * pixelsize, o + x, 1, pixelsize, grey);
    }
}

/*
 * The column pass as a stream (issue 18, memory): rows go in top to bottom and come out as soon as their window
 * is complete. Per column it runs the reference column pass's very operations in the same order (so the results are identical
 * bit for bit), but it keeps only the last `full + 1` input rows, not the whole image: a 200 MP image needs a few
 * megabytes here instead of two full float32 copies (1.6 GB).
 */
typedef struct {
    int rows, cols, full, half, count;
    int ri, oi;         /* input rows taken, output rows given */
    float *ring;        /* (full + 1) rows: input row r at r % (full + 1) */
    float *sums;        /* cols */
} ColStream;

static size_t colstream_floats(int cols, int full) { return ((size_t)full + 2) * (size_t)cols; }

static void colstream_init(ColStream *cs, float *mem, int rows, int cols, int full) {
    cs->rows = rows;
    cs->cols = cols;
    cs->full = full;
    cs->half = (full + 2) / 2;
    cs->count = 0;
    cs->ri = 0;
    cs->oi = 0;
    cs->ring = mem;
    cs->sums = mem + (size_t)(full + 1) * cols;
    for (int j = 0; j < cols; j++) {
        cs->sums[j] = 0.0f;
    }
}

/* Take input row `a` (cols floats); returns 1 and fills `out` when an output row is complete. */
static int colstream_push(ColStream *cs, const float *a, float *out) {
    int cols = cs->cols, ri = cs->ri, p1 = cs->half - 1;
    float *sums = cs->sums;
    memcpy(cs->ring + (size_t)(ri % (cs->full + 1)) * cols, a, sizeof(float) * (size_t)cols);
    cs->ri++;
    if (ri < p1) {
        for (int j = 0; j < cols; j++) {
            sums[j] += a[j];
        }
        cs->count++;
        return 0;
    }
    if (ri < cs->full) {
        cs->count++;
        float c = (float)cs->count;
        for (int j = 0; j < cols; j++) {
            sums[j] += a[j];
            out[j] = sums[j] / c;
        }
        cs->oi++;
        return 1;
    }
    const float *s = cs->ring + (size_t)((ri - cs->full) % (cs->full + 1)) * cols;
    float c = (float)cs->count;
    for (int j = 0; j < cols; j++) {
        sums[j] += a[j];
        sums[j] -= s[j];
        out[j] = sums[j] / c;
    }
    cs->oi++;
    return 1;
}

/* After the last input row: returns 1 and fills `out` while output rows remain. */
static int colstream_drain(ColStream *cs, float *out) {
    if (cs->oi >= cs->rows) {
        return 0;
    }
    int cols = cs->cols, li = cs->oi + cs->half - 1 - cs->full;
    const float *s = cs->ring + (size_t)(li % (cs->full + 1)) * cols;
    float *sums = cs->sums;
    cs->count--;
    float c = (float)cs->count;
    for (int j = 0; j < cols; j++) {
        sums[j] -= s[j];
        out[j] = sums[j] / c;
    }
    cs->oi++;
    return 1;
}

/* The second pass's output row `oi` is final: keep its samples. */
static void keep_samples(const float *row, int oi, int height, int width, float buf[64][64]) {
    for (int i = 0; i < 64; i++) {
        if ((int)(((i + 0.5) * height) / 64) != oi) {
            continue;
        }
        for (int j = 0; j < 64; j++) {
            buf[i][j] = row[(int)(((j + 0.5) * width) / 64)];
        }
    }
}

/* Pass 1's output row `mid` goes through pass 2 (rows, then the column stream); finished rows are sampled. */
static void second_pass(ColStream *c2, const float *mid, float *tmp, float *out, int wr, int height, int width,
                        float buf[64][64]) {
    box1d(mid, tmp, width, 1, wr);
    if (colstream_push(c2, tmp, out)) {
        keep_samples(out, c2->oi - 1, height, width, buf);
    }
}

/* emulate(source, width, height, pixelsize, grey, out, orientation) -> quality; out is float32[256] (16x16 DCT).
 * The reference's full-image float32 passes (luma, then twice rows and columns) on the upright image, run as a
 * stream of rows read from the stored pixels (`width` x `height`, EXIF `orientation` 1-8). */
static PyObject *pdq_emulate(PyObject *self, PyObject *args) {
    PyObject *source;
    int stored_width, stored_height, pixelsize, grey, orientation = 1;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "Oiiiiw*|i", &source, &stored_width, &stored_height, &pixelsize, &grey, &out,
                          &orientation)) {
        return NULL;
    }
    int swapped = orientation >= 5 && orientation <= 8;
    int width = swapped ? stored_height : stored_width, height = swapped ? stored_width : stored_height;
    PyObject *result = NULL;
    Pixels px;
    int have_px = 0;
    float *mem = NULL;
    if (width < 1 || height < 1 || (pixelsize != 1 && pixelsize != 3 && pixelsize != 4) || orientation < 1 ||
        orientation > 8) {
        PyErr_SetString(PyExc_ValueError, "bad image geometry");
        goto done;
    }
    if (out.len != 256 * 4) {
        PyErr_SetString(PyExc_ValueError, "out must be float32[256]");
        goto done;
    }
    if (!pixels_get(source, stored_width, stored_height, pixelsize, &px)) {
        goto done;
    }
    have_px = 1;
    int wr = window_size(width), wc = window_size(height);
    size_t stream = colstream_floats(width, wc);
    /* two column streams, and four rows: luma, rows filtered, pass 1 out, pass 2 out */
    mem = malloc(sizeof(float) * (2 * stream + 4 * (size_t)width));
    if (mem == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int quality;
    Py_BEGIN_ALLOW_THREADS
    float buf[64][64];
    float *luma = mem + 2 * stream, *tmp = luma + width, *mid = tmp + width, *fin = mid + width;
    if (height == 64 && width == 64) {
        for (int y = 0; y < 64; y++) {
            luma_upright(&px, y, buf[y], stored_width, stored_height, pixelsize, grey, orientation);
        }
    } else {
        ColStream c1, c2;
        colstream_init(&c1, mem, height, width, wc);
        colstream_init(&c2, mem + stream, height, width, wc);
        for (int y = 0; y < height; y++) {
            /* The reference's Python wrapper computes luma in float64 with numpy, then rounds it to float32. */
            luma_upright(&px, y, luma, stored_width, stored_height, pixelsize, grey, orientation);
            box1d(luma, tmp, width, 1, wr);
            if (colstream_push(&c1, tmp, mid)) {
                second_pass(&c2, mid, tmp, fin, wr, height, width, buf);
            }
        }
        while (colstream_drain(&c1, mid)) {
            second_pass(&c2, mid, tmp, fin, wr, height, width, buf);
        }
        while (colstream_drain(&c2, fin)) {
            keep_samples(fin, c2.oi - 1, height, width, buf);
        }
    }
    quality = quality_of(buf);
    dct64to16(buf, (float(*)[16])out.buf);
    Py_END_ALLOW_THREADS
    result = PyLong_FromLong(quality);
done:
    free(mem);
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

/* dct(buf, out): the 16x16 low-frequency DCT of a float64 64x64 buffer, in float64 (out is float64[256]). */
static PyObject *pdq_dct(PyObject *self, PyObject *args) {
    Py_buffer in, out;
    if (!PyArg_ParseTuple(args, "y*w*", &in, &out)) {
        return NULL;
    }
    if (in.len != 64 * 64 * 8 || out.len != 256 * 8) {
        PyBuffer_Release(&in);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "buf must be float64[4096], out float64[256]");
        return NULL;
    }
    const double *a = in.buf;
    double *b = out.buf;
    double t[16][64];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++) {
            double s = 0.0;
            for (int k = 0; k < 64; k++) {
                s += dct_matrix_d[i][k] * a[k * 64 + j];
            }
            t[i][j] = s;
        }
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            double s = 0.0;
            for (int k = 0; k < 64; k++) {
                s += t[i][k] * dct_matrix_d[j][k];
            }
            b[i * 16 + j] = s;
        }
    }
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"sample", pdq_sample, METH_VARARGS, "The 64x64 PDQ buffer as weighted sums of luma at the sample points."},
    {"emulate", pdq_emulate, METH_VARARGS, "The reference pipeline in float32: 16x16 DCT into out, returns quality."},
    {"dct", pdq_dct, METH_VARARGS, "The 16x16 low-frequency DCT of a 64x64 float64 buffer."},
    {"quality", pdq_quality, METH_VARARGS, "Quality of a 64x64 buffer, and whether float32 noise could change it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pdqcore", "Compiled PDQ kernels.", -1, methods};

PyMODINIT_FUNC PyInit__pdqcore(void) {
    init_dct();
    init_luma();
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
