/*
 * Compiled kernels for region hashes (pdqr; sharedhash.hashing.regions holds the algorithm and the numpy path that
 * is this kernel's oracle in tests/hashing/test_regioncore.py).
 *
 * hashes(): per box of a grey picture, the 64x64 grid of area means (from a summed-area table), PDQ's quality
 *           measure, the 16x16 low DCT coefficients and the hash (coefficients above their median), computed
 *           with the numpy path's very operations (same edges, same integer sums, same divisions) so that the
 *           grids and qualities are identical; the DCT sums in another order than numpy's BLAS, so a coefficient
 *           that ties the median to within rounding (only in flat or exactly symmetric grids) may fall either side.
 * uniform(): per line of a box of a grey picture, whether it is (mostly) uniform (border trimming).
 * turn():    Pillow's bilinear rotation of a grey picture, computed only inside a box (the query's turned centre).
 *
 * Both release the GIL. Built like _pdqcore: -O3, no FMA contraction (the divisions and products must round as
 * numpy's do).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ABI_VERSION 2
#define GRID 64

/* Integer cell edges of a box side from `lo` to `hi` (pixels) in a picture `limit` pixels long: as regions._edges. */
static void edges_of(double lo, double hi, int limit, int64_t out[GRID + 1]) {
    double span = hi - lo;
    for (int k = 0; k <= GRID; k++) {
        double raw = lo + span * ((double)k / GRID);
        double r = nearbyint(raw); /* numpy's round: half to even, as the default rounding mode */
        if (r < 0) {
            r = 0;
        }
        if (r > limit) {
            r = limit;
        }
        out[k] = (int64_t)r;
    }
    int64_t first = out[0];
    for (int k = 0; k <= GRID; k++) {
        if (out[k] < first + k) {
            out[k] = first + k;
        }
    }
    int64_t over = out[GRID] - limit;
    if (over < 0) {
        over = 0;
    }
    for (int k = 0; k <= GRID; k++) {
        int64_t v = out[k] - over;
        out[k] = v < 0 ? 0 : v > limit ? limit : v;
    }
}

/* The 128th smallest of 256 values (quickselect on a copy). */
static double median_of(const double *values) {
    double a[256];
    memcpy(a, values, sizeof(a));
    int lo = 0, hi = 255, k = 127;
    while (lo < hi) {
        double pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j) {
            hi = j;
        } else if (k >= i) {
            lo = i;
        } else {
            break;
        }
    }
    return a[k];
}

/* Four doubles (GCC/Clang vector extension: AVX registers in the avx2 clones, SSE pairs otherwise). */
typedef double v4d __attribute__((vector_size(32)));

/* Four doubles read from any address (the grids are only 8-byte aligned). */
typedef double v4d_unaligned __attribute__((vector_size(32), aligned(8)));
#define load4(p) (*(const v4d_unaligned *)(p))

/* t[i][:] = sum_k d[i][k] * g[k][:]: the first DCT stage (16 x 64 by 64 x 64). DCT-II rows are symmetric
 * (even i) or antisymmetric (odd i) about the middle, so the grid's rows are folded first (g[k] + g[63 - k] and
 * g[k] - g[63 - k]) and each output row sums 32 of them: half the products. */
__attribute__((target_clones("avx2", "default")))
static void dct_rows(const double *restrict d, const double *restrict g, double *restrict t) {
    double even[32 * GRID], odd[32 * GRID];
    for (int k = 0; k < 32; k++) {
        const double *a = g + k * GRID, *b = g + (GRID - 1 - k) * GRID;
        for (int j = 0; j < GRID; j++) {
            even[k * GRID + j] = a[j] + b[j];
            odd[k * GRID + j] = a[j] - b[j];
        }
    }
    for (int i = 0; i < 16; i++) {
        /* d's row i + 1 of the DCT: i even here means an odd frequency (antisymmetric) */
        const double *f = (i & 1) ? even : odd;
        for (int half = 0; half < 2; half++) {
            v4d acc[8] = {{0}};
            for (int k = 0; k < 32; k++) {
                double w = d[i * GRID + k];
                v4d wv = {w, w, w, w};
                const double *fk = f + k * GRID + half * 32;
                for (int m = 0; m < 8; m++) {
                    acc[m] += wv * load4(fk + 4 * m);
                }
            }
            memcpy(t + i * GRID + half * 32, acc, sizeof(acc));
        }
    }
}

/* coef[i][:] = sum_j t[i][j] * dt[j][:] (dt: the DCT rows transposed, 64 x 16): the second stage. */
__attribute__((target_clones("avx2", "default")))
static void dct_columns(const double *restrict t, const double *restrict dt, double *restrict coef) {
    for (int i = 0; i < 16; i += 2) {
        v4d a[4] = {{0}}, b[4] = {{0}};
        for (int j = 0; j < GRID; j++) {
            double u = t[i * GRID + j], v = t[(i + 1) * GRID + j];
            v4d uv = {u, u, u, u}, vv = {v, v, v, v};
            for (int m = 0; m < 4; m++) {
                v4d r = load4(dt + j * 16 + 4 * m);
                a[m] += uv * r;
                b[m] += vv * r;
            }
        }
        memcpy(coef + i * 16, a, sizeof(a));
        memcpy(coef + (i + 1) * 16, b, sizeof(b));
    }
}

/* PDQ's gradient sum of a grid: sum of |trunc(difference * 100 / 255)| between vertical and horizontal neighbours,
 * as regions._hashes computes it (each term an integer of at most 100, so int32 holds it and the order of the sum
 * does not matter; the conversion truncates towards zero as trunc does). */
__attribute__((target_clones("avx2", "default")))
static int64_t quality_sum(const double *restrict g) {
    const double scale = 100.0 / 255.0;
    int32_t total = 0;
    for (int i = 0; i < GRID - 1; i++) {
        for (int j = 0; j < GRID; j++) {
            int32_t v = (int32_t)((g[(i + 1) * GRID + j] - g[i * GRID + j]) * scale);
            total += v < 0 ? -v : v;
        }
    }
    for (int i = 0; i < GRID; i++) {
        for (int j = 0; j < GRID - 1; j++) {
            int32_t v = (int32_t)((g[i * GRID + j + 1] - g[i * GRID + j]) * scale);
            total += v < 0 ? -v : v;
        }
    }
    return total;
}

/* row[j] = (below[j] - above[j]) / max(height * widths[j], 1): one row of area means, vectorised (integer
 * differences and products of integers below 2**53 are exact in doubles; IEEE division, as numpy's). */
__attribute__((target_clones("avx2", "default")))
static void cell_means(double *restrict row, const int32_t *restrict above, const int32_t *restrict below,
                       double height, const double *restrict widths) {
    for (int j = 0; j < GRID; j++) {
        double area = height * widths[j];
        row[j] = (double)(below[j] - above[j]) / (area > 1.0 ? area : 1.0);
    }
}

typedef struct {
    const uint8_t *pixels;
    int width, height;
    int32_t *table; /* (height + 1) x (width + 1) */
} Canvas;

static int canvas_init(Canvas *c, const uint8_t *pixels, int width, int height) {
    c->pixels = pixels;
    c->width = width;
    c->height = height;
    size_t stride = (size_t)width + 1;
    c->table = calloc(stride * ((size_t)height + 1), sizeof(int32_t));
    if (c->table == NULL) {
        return 0;
    }
    for (int y = 0; y < height; y++) {
        const uint8_t *row = pixels + (size_t)y * width;
        const int32_t *above = c->table + (size_t)y * stride;
        int32_t *here = c->table + (size_t)(y + 1) * stride;
        int32_t run = 0;
        for (int x = 0; x < width; x++) {
            run += row[x];
            here[x + 1] = above[x + 1] + run;
        }
    }
    return 1;
}

/* One box: grid, quality, coefficients (256, row-major over 16x16), packed hash (32 bytes, as numpy's packbits of
 * the reversed bits). */
static void hash_box(const Canvas *c, const double *box, const double *d, const double *dt, double *coef,
                     int64_t *quality, uint8_t *hash) {
    int64_t xs[GRID + 1], ys[GRID + 1];
    edges_of(box[0], box[2], c->width, xs);
    edges_of(box[1], box[3], c->height, ys);
    size_t stride = (size_t)c->width + 1;
    /* Per horizontal cell edge k, the table's differences across each cell: h[k][j] = T[ys[k]][xs[j+1]] -
     * T[ys[k]][xs[j]]; a cell's sum is then h[i+1][j] - h[i][j]. Exact integers (the table is monotone and below
     * 2**31), so the same integers as numpy's float64 t11 - t01 - t10 + t00, with a quarter of the reads. */
    int32_t h[(GRID + 1) * GRID];
    for (int k = 0; k <= GRID; k++) {
        const int32_t *r = c->table + (size_t)ys[k] * stride;
        int32_t prev = r[xs[0]];
        for (int j = 0; j < GRID; j++) {
            int32_t next = r[xs[j + 1]];
            h[k * GRID + j] = next - prev;
            prev = next;
        }
    }
    double g[GRID * GRID], widths[GRID];
    for (int j = 0; j < GRID; j++) {
        widths[j] = (double)(xs[j + 1] - xs[j]);
    }
    for (int i = 0; i < GRID; i++) {
        cell_means(g + i * GRID, h + i * GRID, h + (i + 1) * GRID, (double)(ys[i + 1] - ys[i]), widths);
    }
    int64_t q = quality_sum(g) / 90;
    *quality = q < 100 ? q : 100;
    double t[16 * GRID];
    dct_rows(d, g, t);
    dct_columns(t, dt, coef);
    double median = median_of(coef);
    for (int b = 0; b < 32; b++) {
        unsigned byte = 0;
        for (int m = 0; m < 8; m++) {
            byte |= (unsigned)(coef[255 - 8 * b - m] > median) << (7 - m);  /* no branch: half the bits are set */
        }
        hash[b] = (uint8_t)byte;
    }
}

/*
 * hashes(pixels, width, height, boxes, dct, coef, quality, hashes)
 * pixels: uint8[height * width] (grey, row-major); boxes: float64[n * 4] (left, top, right, bottom in pixels);
 * dct: float64[16 * 64] (PDQ's DCT rows, as regions._dct_matrix); out: coef float64[n * 256],
 * quality int64[n], hashes uint8[n * 32].
 */
static PyObject *region_hashes(PyObject *self, PyObject *args) {
    Py_buffer px, bx, dm, co, qu, ha;
    int width, height;
    if (!PyArg_ParseTuple(args, "y*iiy*y*w*w*w*", &px, &width, &height, &bx, &dm, &co, &qu, &ha)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t n = bx.len / (4 * (Py_ssize_t)sizeof(double));
    if (width < 1 || height < 1 || px.len != (Py_ssize_t)width * height) {
        PyErr_SetString(PyExc_ValueError, "pixels must be uint8[height * width]");
        goto done;
    }
    if ((double)width * height * 255.0 >= 2147483648.0) { /* the summed-area table is int32, as numpy's */
        PyErr_SetString(PyExc_ValueError, "picture too large for an int32 summed-area table");
        goto done;
    }
    if (bx.len % (4 * sizeof(double)) != 0 || dm.len != 16 * GRID * (Py_ssize_t)sizeof(double) ||
        co.len != n * 256 * (Py_ssize_t)sizeof(double) || qu.len != n * (Py_ssize_t)sizeof(int64_t) ||
        ha.len != n * 32) {
        PyErr_SetString(PyExc_ValueError,
                        "boxes float64[n*4], dct float64[1024], coef float64[n*256], quality int64[n], hashes uint8[n*32]");
        goto done;
    }
    {
        const double *boxes = bx.buf;
        for (Py_ssize_t b = 0; b < n; b++) {
            for (int k = 0; k < 4; k++) {
                if (!isfinite(boxes[b * 4 + k])) {
                    PyErr_SetString(PyExc_ValueError, "box coordinates must be finite");
                    goto done;
                }
            }
        }
        Canvas canvas;
        int ok;
        Py_BEGIN_ALLOW_THREADS
        const double *d = dm.buf;
        double dt[GRID * 16];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < GRID; j++) {
                dt[j * 16 + i] = d[i * GRID + j];
            }
        }
        ok = canvas_init(&canvas, px.buf, width, height);
        if (ok) {
            for (Py_ssize_t b = 0; b < n; b++) {
                hash_box(&canvas, boxes + b * 4, d, dt, (double *)co.buf + b * 256, (int64_t *)qu.buf + b,
                         (uint8_t *)ha.buf + b * 32);
            }
            free(canvas.table);
        }
        Py_END_ALLOW_THREADS
        if (!ok) {
            PyErr_NoMemory();
            goto done;
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&px);
    PyBuffer_Release(&bx);
    PyBuffer_Release(&dm);
    PyBuffer_Release(&co);
    PyBuffer_Release(&qu);
    PyBuffer_Release(&ha);
    return result;
}

/*
 * uniform(pixels, width, height, left, top, right, bottom, columns, tolerance, share, out)
 * Per row (columns=0) or column (columns=1) of the box, whether at least `share` of its pixels lie within
 * `tolerance` of its median (numpy's median: the mean of the two middle values for an even count), as
 * regions._uniform; out: uint8[number of lines].
 */
static PyObject *region_uniform(PyObject *self, PyObject *args) {
    Py_buffer px, out;
    int width, height, left, top, right, bottom, columns;
    double tolerance, share;
    if (!PyArg_ParseTuple(args, "y*iiiiiipddw*", &px, &width, &height, &left, &top, &right, &bottom, &columns,
                          &tolerance, &share, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (width < 1 || height < 1 || px.len != (Py_ssize_t)width * height || left < 0 || top < 0 ||
        right > width || bottom > height || left > right || top > bottom) {
        PyErr_SetString(PyExc_ValueError, "bad picture or box");
        goto done;
    }
    int lines = columns ? right - left : bottom - top, length = columns ? bottom - top : right - left;
    if (out.len != lines) {
        PyErr_SetString(PyExc_ValueError, "out must be uint8[number of lines]");
        goto done;
    }
    {
        const uint8_t *p = px.buf;
        uint8_t *o = out.buf;
        Py_BEGIN_ALLOW_THREADS
        for (int l = 0; l < lines; l++) {
            if (length == 0) {
                o[l] = 1;
                continue;
            }
            int hist[256] = {0};
            for (int k = 0; k < length; k++) {
                int v = columns ? p[(size_t)(top + k) * width + left + l] : p[(size_t)(top + l) * width + left + k];
                hist[v]++;
            }
            /* the values of rank (length-1)/2 and length/2: twice the median is their sum */
            int lo_rank = (length - 1) / 2, hi_rank = length / 2, lo = -1, hi = -1, seen = 0;
            for (int v = 0; v < 256 && hi < 0; v++) {
                seen += hist[v];
                if (lo < 0 && seen > lo_rank) {
                    lo = v;
                }
                if (seen > hi_rank) {
                    hi = v;
                }
            }
            double median = (double)(lo + hi) / 2.0;
            int near = 0, from = (int)floor(median - tolerance), to = (int)ceil(median + tolerance);
            from = from < 0 ? 0 : from;
            to = to > 255 ? 255 : to;
            for (int v = from; v <= to; v++) {  /* only values this close can count */
                if (fabs((double)v - median) <= tolerance) {
                    near += hist[v];
                }
            }
            o[l] = (double)near / (double)length >= share;
        }
        Py_END_ALLOW_THREADS
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&px);
    PyBuffer_Release(&out);
    return result;
}

/* byte_value[d] = (double)d for d in -255..255: a table lookup instead of an integer-to-double conversion, for a
 * pixel byte and for the difference of two. */
static double byte_value_table[511];
#define byte_value (byte_value_table + 255)

static void init_byte_values(void) {
    for (int k = 0; k < 511; k++) {
        byte_value_table[k] = (double)(k - 255);
    }
}

/*
 * turn(pixels, width, height, matrix, left, top, right, bottom, out)
 * Pillow's Image.rotate(..., BILINEAR) of a grey picture (its transform: the output pixel (x, y) samples the input at
 * matrix . (x + 0.5, y + 0.5, 1), bilinear, truncated to a byte, 0 outside the picture), computed only for the
 * output pixels in the box; out (uint8[height * width]) is left as it is elsewhere. The same doubles in the same
 * order as Pillow's C, so the same bytes (tests/hashing/test_regioncore.py compares them with Pillow's rotation).
 */
static PyObject *region_turn(PyObject *self, PyObject *args) {
    Py_buffer px, out;
    int width, height, left, top, right, bottom;
    double m[6];
    if (!PyArg_ParseTuple(args, "y*ii(dddddd)iiiiw*", &px, &width, &height, &m[0], &m[1], &m[2], &m[3], &m[4],
                          &m[5], &left, &top, &right, &bottom, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (width < 1 || height < 1 || px.len != (Py_ssize_t)width * height || out.len != px.len) {
        PyErr_SetString(PyExc_ValueError, "pixels and out must be uint8[height * width]");
        goto done;
    }
    if (left < 0 || top < 0 || right > width || bottom > height || left > right || top > bottom) {
        PyErr_SetString(PyExc_ValueError, "bad box");
        goto done;
    }
    {
        const uint8_t *in = px.buf;
        uint8_t *o = out.buf;
        Py_BEGIN_ALLOW_THREADS
        for (int y = top; y < bottom; y++) {
            for (int x = left; x < right; x++) {
                double xo = x + 0.5, yo = y + 0.5;
                double xin = m[0] * xo + m[1] * yo + m[2];
                double yin = m[3] * xo + m[4] * yo + m[5];
                uint8_t value = 0;
                if (!(xin < 0.0 || xin >= width || yin < 0.0 || yin >= height)) {
                    xin -= 0.5;
                    yin -= 0.5;
                    int xi = xin < 0.0 ? (int)floor(xin) : (int)xin;
                    int yi = yin < 0.0 ? (int)floor(yin) : (int)yin;
                    double dx = xin - xi, dy = yin - yi;
                    int yc = yi < 0 ? 0 : yi < height ? yi : height - 1;
                    int x0 = xi < 0 ? 0 : xi < width ? xi : width - 1;
                    int x1 = xi + 1 < 0 ? 0 : xi + 1 < width ? xi + 1 : width - 1;
                    const uint8_t *row = in + (size_t)yc * width;
                    /* Pillow: in[x0] + (in[x1] - in[x0]) * dx, the difference an int: the same doubles */
                    double v1 = byte_value[row[x0]] + byte_value[row[x1] - row[x0]] * dx, v2;
                    if (yi + 1 >= 0 && yi + 1 < height) {
                        row = in + (size_t)(yi + 1) * width;
                        v2 = byte_value[row[x0]] + byte_value[row[x1] - row[x0]] * dx;
                    } else {
                        v2 = v1;
                    }
                    v1 = v1 + (v2 - v1) * dy;
                    value = (uint8_t)v1;
                }
                o[(size_t)y * width + x] = value;
            }
        }
        Py_END_ALLOW_THREADS
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&px);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"turn", region_turn, METH_VARARGS, "Pillow's bilinear rotation of a grey picture, only inside a box."},
    {"hashes", region_hashes, METH_VARARGS, "Grids, quality, DCT coefficients and hashes of boxes of a grey picture."},
    {"uniform", region_uniform, METH_VARARGS, "Per row or column of a box of a grey picture, whether it is uniform."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_regioncore", "Compiled region-hash kernels.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__regioncore(void) {
    init_byte_values();
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
