/* Deletion-neighbourhood look-up for deterrence fuzzy matching (see fuzzy.py, which runs the same algorithm in
 * Python when this extension was not built).
 *
 * Index(words, edits, spanning=False) hashes every deletion of every word (up to that word's edit allowance) into one
 * open-addressing table of posting lists; lookup(candidate, depth) hashes the candidate's deletions up to depth,
 * collects the words they reach and confirms each with the edit distance (see osa). A hash collision
 * can only add a candidate, never lose one, and every candidate is confirmed exactly, so no collision changes an
 * answer. The index is read-only after construction: lookups keep their state on the stack (thread-safe).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2
#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* Bloom filters are kept per key length: one look-up probes keys of three lengths only, whose filters stay in
 * the cache between queries even when the whole index does not. Longer keys share the last length's filter. */
#define BLOOM_LENGTHS 256

typedef struct {
    uint64_t hash;
    uint32_t id;
    uint32_t len;
} Pair;

typedef struct {
    PyObject_HEAD
    Py_ssize_t n_words;
    uint32_t *chars;        /* every word's code points, back to back */
    Py_ssize_t *offsets;    /* n_words + 1 */
    uint8_t *edits;         /* allowance per word */
    int spanning;           /* a swap across a letter inserted or left out counts two edits (see osa) */
    uint64_t *slot_hash;    /* open-addressing table; 0 means empty (hash 0 is remapped to 1) */
    uint32_t *slot_start;   /* postings start per slot */
    uint32_t *slot_count;
    uint64_t mask;
    uint32_t *postings;
    uint64_t *bloom;        /* blocked Bloom filters: most probes of absent keys stop here, in one cache line */
    uint64_t bloom_offset[BLOOM_LENGTHS];  /* per key length, in 64-bit words */
    uint64_t bloom_mask[BLOOM_LENGTHS];
} IndexObject;

/* Three bits of one 64-bit word per key: one memory access per probe. */
static inline uint64_t bloom_bits(uint64_t h) {
    return (1ULL << ((h >> 40) & 63)) | (1ULL << ((h >> 46) & 63)) | (1ULL << ((h >> 52) & 63));
}

static inline Py_ssize_t bloom_length(Py_ssize_t len) { return len < BLOOM_LENGTHS ? len : BLOOM_LENGTHS - 1; }

static inline int bloom_maybe(const IndexObject *self, uint64_t h, Py_ssize_t len) {
    Py_ssize_t b = bloom_length(len);
    uint64_t bits = bloom_bits(h);
    return (self->bloom[self->bloom_offset[b] + (h & self->bloom_mask[b])] & bits) == bits;
}

/* Polynomial hashes (mod 2^64, odd base) let every deletion's hash be computed in O(1) from prefix and suffix
 * hashes: H(s) = sum s[p] * B^(n-1-p). A final mix spreads the bits for the table and the Bloom filter. */
#define BASE 0x100000001b3ULL

static inline uint64_t mix(uint64_t h, Py_ssize_t len) {
    h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 32;
    return h ? h : 1;
}

/* Every deletion hash of s up to depth (duplicates included), written to out; returns how many. work holds
 * 3 * (n + 1) values. */
static Py_ssize_t deletion_hashes(const uint32_t *s, Py_ssize_t n, int depth, uint64_t *out, uint64_t *work) {
    uint64_t *pre = work, *suf = work + (n + 1), *pw = work + 2 * (n + 1);
    pw[0] = 1;
    pre[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        pw[i + 1] = pw[i] * BASE;
        pre[i + 1] = pre[i] * BASE + (uint64_t)s[i] + 1;
    }
    suf[n] = 0;
    for (Py_ssize_t i = n - 1; i >= 0; i--) suf[i] = suf[i + 1] + ((uint64_t)s[i] + 1) * pw[n - 1 - i];
    Py_ssize_t k = 0;
    out[k++] = mix(pre[n], n);
    if (depth >= 1)
        for (Py_ssize_t i = 0; i < n; i++) out[k++] = mix(pre[i] * pw[n - 1 - i] + suf[i + 1], n - 1);
    if (depth >= 2)
        for (Py_ssize_t i = 0; i < n; i++)
            for (Py_ssize_t j = i + 1; j < n; j++) {
                uint64_t mid = pre[j] - pre[i + 1] * pw[j - i - 1];
                out[k++] = mix(pre[i] * pw[n - 2 - i] + mid * pw[n - 1 - j] + suf[j + 1], n - 2);
            }
    return k;
}

static inline Py_ssize_t deletion_count(Py_ssize_t n, int depth) {
    Py_ssize_t k = 1;
    if (depth >= 1) k += n;
    if (depth >= 2) k += n * (n - 1) / 2;
    return k;
}

/* Optimal-string-alignment distance, or limit + 1 when larger. With spanning, also a swap of two letters with one
 * letter inserted or left out between them counts two edits, as in the unrestricted Damerau-Levenshtein distance
 * ("riz" -> "zr": two slips, one after the other); the result is that distance whenever it is at most 2, and a
 * valid edit count otherwise (see fuzzy.py's edit_distance). */
static int osa(const uint32_t *a, Py_ssize_t n, const uint32_t *b, Py_ssize_t m, int limit, int spanning) {
    if (n - m > limit || m - n > limit) return limit + 1;
    int stack[4 * 256];
    int *buf = (m + 1 <= 256) ? stack : (int *)malloc(sizeof(int) * 4 * (size_t)(m + 1));
    if (!buf) return limit + 1;
    int *prev3 = buf, *prev2 = buf + (m + 1), *prev = buf + 2 * (m + 1), *cur = buf + 3 * (m + 1);
    for (Py_ssize_t j = 0; j <= m; j++) prev[j] = (int)j;
    for (Py_ssize_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        int best = (int)i;
        for (Py_ssize_t j = 1; j <= m; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v) v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            if (spanning) {
                /* a[i-3..i-1] = x ? y against b[j-2..j-1] = y x, and a[i-2..i-1] = x y against b[j-3..j-1] = y ? x */
                if (i > 2 && j > 1 && a[i - 1] == b[j - 2] && a[i - 3] == b[j - 1] && prev3[j - 2] + 2 < v)
                    v = prev3[j - 2] + 2;
                if (i > 1 && j > 2 && a[i - 1] == b[j - 3] && a[i - 2] == b[j - 1] && prev2[j - 3] + 2 < v)
                    v = prev2[j - 3] + 2;
            }
            cur[j] = v;
            if (v < best) best = v;
        }
        /* Every swap (spanning or not) that reaches back past this row costs at least one more than a value of this
         * row, so no later row falls to the limit once this one's minimum is over it. */
        if (best > limit) {
            if (buf != stack) free(buf);
            return limit + 1;
        }
        int *t = prev3;
        prev3 = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    int d = prev[m] < limit + 1 ? prev[m] : limit + 1;
    if (buf != stack) free(buf);
    return d;
}

static int cmp_pair(const void *x, const void *y) {
    const Pair *a = (const Pair *)x, *b = (const Pair *)y;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

static uint32_t *as_ucs4(PyObject *str, Py_ssize_t *n) {
    if (!PyUnicode_Check(str)) {
        PyErr_SetString(PyExc_TypeError, "words must be str");
        return NULL;
    }
    *n = PyUnicode_GET_LENGTH(str);
    uint32_t *buf = (uint32_t *)PyMem_Malloc(sizeof(uint32_t) * (size_t)(*n + 1));
    if (!buf) {
        PyErr_NoMemory();
        return NULL;
    }
    if (!PyUnicode_AsUCS4(str, (Py_UCS4 *)buf, *n + 1, 1)) {
        PyMem_Free(buf);
        return NULL;
    }
    return buf;
}

static void Index_dealloc(IndexObject *self) {
    PyMem_Free(self->chars);
    PyMem_Free(self->offsets);
    PyMem_Free(self->edits);
    PyMem_Free(self->slot_hash);
    PyMem_Free(self->slot_start);
    PyMem_Free(self->slot_count);
    PyMem_Free(self->postings);
    PyMem_Free(self->bloom);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Index_init(IndexObject *self, PyObject *args, PyObject *kwds) {
    PyObject *words, *edits;
    int spanning = 0;
    static char *kwlist[] = {"words", "edits", "spanning", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!|p", kwlist, &PyList_Type, &words, &PyList_Type, &edits,
                                     &spanning))
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(words);
    if (PyList_GET_SIZE(edits) != n) {
        PyErr_SetString(PyExc_ValueError, "words and edits differ in length");
        return -1;
    }
    if (self->chars) {
        PyErr_SetString(PyExc_RuntimeError, "Index is already initialised");
        return -1;
    }
    self->n_words = n;
    self->spanning = spanning;
    self->offsets = (Py_ssize_t *)PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
    self->edits = (uint8_t *)PyMem_Calloc((size_t)n + 1, 1);
    if (!self->offsets || !self->edits) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t total_chars = 0, total_pairs = 0;
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            return -1;
        }
        long e = PyLong_AsLong(PyList_GET_ITEM(edits, w));
        if (e == -1 && PyErr_Occurred()) return -1;
        if (e < 0 || e > MAX_DEPTH) {
            PyErr_SetString(PyExc_ValueError, "edit allowance must be 0, 1 or 2");
            return -1;
        }
        self->edits[w] = (uint8_t)e;
        Py_ssize_t len = PyUnicode_GET_LENGTH(word);
        total_chars += len;
        total_pairs += deletion_count(len, (int)e);
        self->offsets[w + 1] = total_chars;
    }
    self->chars = (uint32_t *)PyMem_Malloc(sizeof(uint32_t) * ((size_t)total_chars + 1));
    Pair *pairs = (Pair *)PyMem_Malloc(sizeof(Pair) * ((size_t)total_pairs + 1));
    uint64_t *hashes = NULL, *work = NULL;
    if (!self->chars || !pairs) goto nomem;
    Py_ssize_t k = 0;
    for (Py_ssize_t w = 0; w < n; w++) {
        Py_ssize_t len;
        uint32_t *s = as_ucs4(PyList_GET_ITEM(words, w), &len);
        if (!s) goto fail;
        memcpy(self->chars + self->offsets[w], s, sizeof(uint32_t) * (size_t)len);
        PyMem_Free(s);
        const uint32_t *stored = self->chars + self->offsets[w];
        uint64_t *tmp = (uint64_t *)PyMem_Realloc(hashes, sizeof(uint64_t) * ((size_t)deletion_count(len, self->edits[w]) + 1));
        if (!tmp) goto nomem;
        hashes = tmp;
        tmp = (uint64_t *)PyMem_Realloc(work, sizeof(uint64_t) * 3 * ((size_t)len + 1));
        if (!tmp) goto nomem;
        work = tmp;
        Py_ssize_t m = deletion_hashes(stored, len, self->edits[w], hashes, work);
        for (Py_ssize_t i = 0; i < m; i++) {
            pairs[k].hash = hashes[i];
            pairs[k].id = (uint32_t)w;
            /* deletion_hashes writes the word, then its 1-deletions, then its 2-deletions */
            pairs[k].len = (uint32_t)(i == 0 ? len : i <= len ? len - 1 : len - 2);
            k++;
        }
    }
    PyMem_Free(hashes);
    PyMem_Free(work);
    hashes = work = NULL;
    qsort(pairs, (size_t)k, sizeof(Pair), cmp_pair);
    /* Unique (hash, id) pairs become postings; unique hashes become table slots. */
    self->postings = (uint32_t *)PyMem_Malloc(sizeof(uint32_t) * ((size_t)k + 1));
    Py_ssize_t unique = 0;
    for (Py_ssize_t i = 0; i < k; i++)
        if (i == 0 || pairs[i].hash != pairs[i - 1].hash) unique++;
    uint64_t size = 16;
    while (size < (uint64_t)unique * 2) size <<= 1;
    self->mask = size - 1;
    self->slot_hash = (uint64_t *)PyMem_Calloc((size_t)size, sizeof(uint64_t));
    self->slot_start = (uint32_t *)PyMem_Calloc((size_t)size, sizeof(uint32_t));
    self->slot_count = (uint32_t *)PyMem_Calloc((size_t)size, sizeof(uint32_t));
    /* At least 12 bits per key: a few per cent false "maybe" answers. */
    uint64_t per_length[BLOOM_LENGTHS] = {0};
    for (Py_ssize_t i = 0; i < k; i++)
        if (i == 0 || pairs[i].hash != pairs[i - 1].hash) per_length[bloom_length(pairs[i].len)]++;
    uint64_t n_bloom = 0;
    for (int b = 0; b < BLOOM_LENGTHS; b++) {
        uint64_t words = 1;
        while (words * 64 < per_length[b] * 12) words <<= 1;
        self->bloom_offset[b] = n_bloom;
        self->bloom_mask[b] = words - 1;
        n_bloom += words;
    }
    self->bloom = (uint64_t *)PyMem_Calloc((size_t)n_bloom, sizeof(uint64_t));
    if (!self->postings || !self->slot_hash || !self->slot_start || !self->slot_count || !self->bloom) goto nomem;
    Py_ssize_t p = 0;
    for (Py_ssize_t i = 0; i < k;) {
        uint64_t h = pairs[i].hash;
        uint64_t slot = h & self->mask;
        while (self->slot_hash[slot]) slot = (slot + 1) & self->mask;
        self->slot_hash[slot] = h;
        self->slot_start[slot] = (uint32_t)p;

        for (; i < k && pairs[i].hash == h; i++)
            if (p == (Py_ssize_t)self->slot_start[slot] || self->postings[p - 1] != pairs[i].id)
                self->postings[p++] = pairs[i].id;
        self->slot_count[slot] = (uint32_t)(p - self->slot_start[slot]);
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        Py_ssize_t b = bloom_length(pairs[i].len);
        self->bloom[self->bloom_offset[b] + (pairs[i].hash & self->bloom_mask[b])] |= bloom_bits(pairs[i].hash);
    }
    PyMem_Free(pairs);
    return 0;
nomem:
    PyErr_NoMemory();
fail:
    PyMem_Free(hashes);
    PyMem_Free(work);
    PyMem_Free(pairs);
    return -1;
}

typedef struct {
    uint32_t id;
    int distance;
} Hit;

static int cmp_hit(const void *x, const void *y) {
    const Hit *a = (const Hit *)x, *b = (const Hit *)y;
    if (a->distance != b->distance) return a->distance - b->distance;
    return a->id < b->id ? -1 : (a->id > b->id);
}

/* Appends to out, fewest edits first (then by id), every indexed word within its allowance of s[0:n] reached by up to depth deletions (the word
 * equal to s excluded): (id, distance) when cand is NULL, else (candidate text, first, last, id, distance), the
 * text built from s only on a hit. Returns 0, or -1 with an exception set. */
static int lookup_into(const IndexObject *self, const uint32_t *s, Py_ssize_t n, int depth, PyObject *out, int with_text,
                       Py_ssize_t first, Py_ssize_t last, PyObject *whole) {
    uint64_t hashes_stack[512];
    size_t need = (size_t)deletion_count(n, depth) + 3 * (size_t)n + 4;
    uint64_t *hashes = need <= 512 ? hashes_stack : (uint64_t *)PyMem_Malloc(sizeof(uint64_t) * need);
    uint32_t seen_stack[64];
    uint32_t *seen = seen_stack;
    Py_ssize_t n_seen = 0, cap_seen = 64;
    Hit hits_stack[16];
    Hit *hits = hits_stack;
    Py_ssize_t n_hits = 0, cap_hits = 16;
    PyObject *text = NULL;
    if (!hashes) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t m = deletion_hashes(s, n, depth, hashes, hashes + deletion_count(n, depth) + 1);
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t h = hashes[i];
        if (!bloom_maybe(self, h, i == 0 ? n : i <= n ? n - 1 : n - 2)) continue;
        uint64_t slot = h & self->mask;
        while (self->slot_hash[slot] && self->slot_hash[slot] != h) slot = (slot + 1) & self->mask;
        if (!self->slot_hash[slot]) continue;
        const uint32_t *post = self->postings + self->slot_start[slot];
        for (uint32_t c = 0; c < self->slot_count[slot]; c++) {
            uint32_t id = post[c];
            int dup = 0;
            for (Py_ssize_t q = 0; q < n_seen; q++)
                if (seen[q] == id) {
                    dup = 1;
                    break;
                }
            if (dup) continue;
            if (n_seen == cap_seen) {
                uint32_t *grown = (uint32_t *)PyMem_Malloc(sizeof(uint32_t) * (size_t)cap_seen * 2);
                if (!grown) {
                    PyErr_NoMemory();
                    goto fail;
                }
                memcpy(grown, seen, sizeof(uint32_t) * (size_t)n_seen);
                if (seen != seen_stack) PyMem_Free(seen);
                seen = grown;
                cap_seen *= 2;
            }
            seen[n_seen++] = id;
            const uint32_t *word = self->chars + self->offsets[id];
            Py_ssize_t len = self->offsets[id + 1] - self->offsets[id];
            if (len == n && memcmp(word, s, sizeof(uint32_t) * (size_t)n) == 0) continue;
            int limit = self->edits[id];
            int d = osa(s, n, word, len, limit, self->spanning);
            if (d <= limit) {
                if (n_hits == cap_hits) {
                    Hit *grown = (Hit *)PyMem_Malloc(sizeof(Hit) * (size_t)cap_hits * 2);
                    if (!grown) {
                        PyErr_NoMemory();
                        goto fail;
                    }
                    memcpy(grown, hits, sizeof(Hit) * (size_t)n_hits);
                    if (hits != hits_stack) PyMem_Free(hits);
                    hits = grown;
                    cap_hits *= 2;
                }
                hits[n_hits].id = id;
                hits[n_hits].distance = d;
                n_hits++;
            }
        }
    }
    /* Fewest edits first, then by id: the same order as the Python code, whatever order the hash table gives. */
    qsort(hits, (size_t)n_hits, sizeof(Hit), cmp_hit);
    for (Py_ssize_t h = 0; h < n_hits; h++) {
        PyObject *item;
        if (with_text) {
            if (!text && !(text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s, n))) goto fail;
            item = whole ? Py_BuildValue("(OnnOIi)", text, first, last, whole, hits[h].id, hits[h].distance)
                         : Py_BuildValue("(OnnIi)", text, first, last, hits[h].id, hits[h].distance);
        } else {
            item = Py_BuildValue("(Ii)", hits[h].id, hits[h].distance);
        }
        if (!item || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    Py_XDECREF(text);
    if (hashes != hashes_stack) PyMem_Free(hashes);
    if (seen != seen_stack) PyMem_Free(seen);
    if (hits != hits_stack) PyMem_Free(hits);
    return 0;
fail:
    Py_XDECREF(text);
    if (hashes != hashes_stack) PyMem_Free(hashes);
    if (seen != seen_stack) PyMem_Free(seen);
    if (hits != hits_stack) PyMem_Free(hits);
    return -1;
}

static PyObject *Index_lookup(IndexObject *self, PyObject *args) {
    PyObject *candidate;
    int depth;
    if (!PyArg_ParseTuple(args, "Ui", &candidate, &depth)) return NULL;
    if (depth < 0 || depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "depth must be 0, 1 or 2");
        return NULL;
    }
    if (!self->chars) {
        PyErr_SetString(PyExc_RuntimeError, "Index is not initialised");
        return NULL;
    }
    Py_ssize_t n;
    uint32_t *s = as_ucs4(candidate, &n);
    if (!s) return NULL;
    PyObject *out = PyList_New(0);
    if (!out || lookup_into(self, s, n, depth, out, 0, 0, 0, NULL) < 0) {
        Py_XDECREF(out);
        out = NULL;
    }
    PyMem_Free(s);
    return out;
}

/* The whole-word candidates of one word position first (see Index_scan) looked up, appended to out. kept and
 * kept_cap: a scratch buffer for the uncollapsed words joined; whole: NULL for 5-tuples, else the value of the
 * 6-tuples' whole field. Returns 0, or -1 with an exception set. */
static int scan_runs(const IndexObject *self, const uint32_t *text, Py_ssize_t n, PyObject *starts, PyObject *ends,
                     PyObject *uncollapsed, const char *known, Py_ssize_t count, Py_ssize_t first,
                     Py_ssize_t max_joined, Py_ssize_t longest, Py_ssize_t min_len, Py_ssize_t max_len,
                     Py_ssize_t one_from, Py_ssize_t two_from, uint32_t **kept_buf, Py_ssize_t *kept_cap,
                     PyObject *out, PyObject *whole) {
    int ordinary = 1;
    Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(starts, first));
    if (start == -1 && PyErr_Occurred()) return -1;
    Py_ssize_t kept_len = 0;
    for (Py_ssize_t last = first; last < count && last < first + max_joined; last++) {
        ordinary = ordinary && known[last];
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(ends, last));
        if (end == -1 && PyErr_Occurred()) return -1;
        if (start < 0 || end > n || end < start) {
            PyErr_SetString(PyExc_ValueError, "word offsets outside the despaced text");
            return -1;
        }
        /* The uncollapsed words first..last joined, kept up to date as last grows. */
        PyObject *word = PyTuple_GET_ITEM(uncollapsed, last);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "uncollapsed words must be str");
            return -1;
        }
        Py_ssize_t wlen = PyUnicode_GET_LENGTH(word);
        if (kept_len + wlen + 1 > *kept_cap) {
            Py_ssize_t cap = 2 * (kept_len + wlen + 1);
            uint32_t *grown = (uint32_t *)PyMem_Realloc(*kept_buf, sizeof(uint32_t) * (size_t)cap);
            if (!grown) {
                PyErr_NoMemory();
                return -1;
            }
            *kept_buf = grown;
            *kept_cap = cap;
        }
        uint32_t *kept = *kept_buf;
        if (!PyUnicode_AsUCS4(word, (Py_UCS4 *)(kept + kept_len), *kept_cap - kept_len, 0)) return -1;
        kept_len += wlen;
        Py_ssize_t len = end - start;
        if (len > longest) break;
        if (ordinary) continue;
        const uint32_t *cand = text + start;
        if (len >= min_len && len <= max_len &&
            lookup_into(self, cand, len, len >= two_from ? 2 : len >= one_from, out, 1, first, last, whole) < 0)
            return -1;
        if ((kept_len != len || memcmp(kept, cand, sizeof(uint32_t) * (size_t)len) != 0) && kept_len >= min_len &&
            kept_len <= max_len &&
            lookup_into(self, kept, kept_len, kept_len >= two_from ? 2 : kept_len >= one_from, out, 1, first, last,
                        whole) < 0)
            return -1;
    }
    return 0;
}

/* The look-ups of fuzzy.py's whole-word candidates, for one query in one call (see Matcher._fuzzy_candidates):
 * for each word position, the runs of 1 to max_joined words from it (the despaced text between their edges),
 * stopping at the first longer than longest; runs of known words only are skipped; each run is looked up, then
 * its words' uncollapsed forms joined, when they differ. A candidate of min_len to max_len characters is looked
 * up with depth 2 from two_from characters, 1 from one_from, else 0 (see fuzzy.py's lookup_depth). Hits come in that order: (text, first, last, id, distance). */
static PyObject *Index_scan(IndexObject *self, PyObject *args) {
    PyObject *despaced, *starts, *ends, *uncollapsed, *known;
    Py_ssize_t max_joined, longest, min_len, max_len, one_from, two_from;
    if (!PyArg_ParseTuple(args, "UO!O!O!O!nnnnnn", &despaced, &PyTuple_Type, &starts, &PyTuple_Type, &ends,
                          &PyTuple_Type, &uncollapsed, &PyList_Type, &known, &max_joined, &longest, &min_len, &max_len,
                          &one_from, &two_from))
        return NULL;
    if (!self->chars) {
        PyErr_SetString(PyExc_RuntimeError, "Index is not initialised");
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(starts);
    if (PyTuple_GET_SIZE(ends) != count || PyTuple_GET_SIZE(uncollapsed) != count || PyList_GET_SIZE(known) != count) {
        PyErr_SetString(PyExc_ValueError, "starts, ends, uncollapsed and known differ in length");
        return NULL;
    }
    char *flags = (char *)PyMem_Malloc((size_t)count + 1);
    if (!flags) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        int is_known = PyObject_IsTrue(PyList_GET_ITEM(known, i));
        if (is_known < 0) {
            PyMem_Free(flags);
            return NULL;
        }
        flags[i] = (char)is_known;
    }
    Py_ssize_t n;
    uint32_t *text = as_ucs4(despaced, &n);
    if (!text) {
        PyMem_Free(flags);
        return NULL;
    }
    PyObject *out = PyList_New(0);
    uint32_t *kept = NULL;
    Py_ssize_t kept_cap = 0;
    if (!out) goto fail;
    for (Py_ssize_t first = 0; first < count; first++)
        if (scan_runs(self, text, n, starts, ends, uncollapsed, flags, count, first, max_joined, longest, min_len,
                      max_len, one_from, two_from, &kept, &kept_cap, out, NULL) < 0)
            goto fail;
    PyMem_Free(flags);
    PyMem_Free(text);
    PyMem_Free(kept);
    return out;
fail:
    PyMem_Free(flags);
    PyMem_Free(text);
    PyMem_Free(kept);
    Py_XDECREF(out);
    return NULL;
}

/* A blocked Bloom filter of a set of strings, hashed from their code points: a slice of a query word absent from it
 * is absent from the set, answered without building the slice as a str and probing the set (a cache miss in a set
 * of 600,000+ words; measured on the bench's word queries). A slice it may hold is looked up in the set. */
typedef struct {
    PyObject_HEAD
    uint64_t *bits;
    uint64_t mask;
    int all;  /* a member that is no str: every string may be in the set */
} FilterObject;

static inline uint64_t chars_hash(const uint32_t *s, Py_ssize_t n) {
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return mix(h, n);
}

static inline int filter_maybe(const FilterObject *f, const uint32_t *s, Py_ssize_t n) {
    if (f->all) return 1;
    uint64_t h = chars_hash(s, n), bits = bloom_bits(h);
    return (f->bits[h & f->mask] & bits) == bits;
}

static void Filter_dealloc(FilterObject *self) {
    PyMem_Free(self->bits);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Filter_init(FilterObject *self, PyObject *args, PyObject *kwds) {
    PyObject *strings;
    static char *kwlist[] = {"strings", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O", kwlist, &strings)) return -1;
    if (!PyAnySet_Check(strings)) {
        PyErr_SetString(PyExc_TypeError, "Filter: strings must be a set or frozenset");
        return -1;
    }
    if (self->bits) {
        PyErr_SetString(PyExc_RuntimeError, "Filter is already initialised");
        return -1;
    }
    /* About 16 bits per string, in 64-bit words. */
    uint64_t words = 1;
    while (words * 4 < (uint64_t)PySet_GET_SIZE(strings)) words *= 2;
    self->bits = (uint64_t *)PyMem_Calloc((size_t)words, sizeof(uint64_t));
    if (!self->bits) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = words - 1;
    uint32_t stack[256];
    PyObject *it = PyObject_GetIter(strings), *item;
    if (!it) return -1;
    while ((item = PyIter_Next(it))) {
        if (!PyUnicode_Check(item)) {
            self->all = 1;
            Py_DECREF(item);
            continue;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(item);
        uint32_t *chars = n < 256 ? stack : (uint32_t *)PyMem_Malloc(sizeof(uint32_t) * (size_t)(n + 1));
        if (!chars || !PyUnicode_AsUCS4(item, (Py_UCS4 *)chars, n + 1, 0)) {
            if (!chars) PyErr_NoMemory();
            if (chars && chars != stack) PyMem_Free(chars);
            Py_DECREF(item);
            Py_DECREF(it);
            return -1;
        }
        uint64_t h = chars_hash(chars, n);
        self->bits[h & self->mask] |= bloom_bits(h);
        if (chars != stack) PyMem_Free(chars);
        Py_DECREF(item);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *Filter_maybe(FilterObject *self, PyObject *arg) {
    Py_ssize_t n;
    if (!self->bits) {
        PyErr_SetString(PyExc_RuntimeError, "Filter is not initialised");
        return NULL;
    }
    uint32_t *s = as_ucs4(arg, &n);
    if (!s) return NULL;
    int maybe = filter_maybe(self, s, n);
    PyMem_Free(s);
    return Py_NewRef(maybe ? Py_True : Py_False);
}

static PyMethodDef Filter_methods[] = {
    {"maybe", (PyCFunction)Filter_maybe, METH_O, "maybe(string) -> bool: False only if string is not in the set."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FilterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sharedhash.deterrence._fuzzykernel.Filter",
    .tp_basicsize = sizeof(FilterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Filter(strings): a Bloom filter of a set of strings, for Index.hits' set look-ups.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Filter_init,
    .tp_dealloc = (destructor)Filter_dealloc,
    .tp_methods = Filter_methods,
};

/* Filters of (words, prefixes, suffixes, glue_after, glue_before), or NULLs. */
typedef struct {
    const FilterObject *words, *prefixes, *suffixes, *after, *before;
} Filters;

static int is_ordinary(PyObject *token, PyObject *words, PyObject *prefixes, PyObject *suffixes, int affixes,
                       Py_ssize_t min_part, Py_ssize_t max_affix, Py_ssize_t min_stem, const Filters *filters,
                       const uint32_t *chars);
static int slice_in(PyObject *words, PyObject *token, Py_ssize_t start, Py_ssize_t end);

/* slice_in, answered by the filter f (may be NULL) when it does not hold chars[start:end]. */
static inline int slice_in_f(PyObject *set, const FilterObject *f, PyObject *token, const uint32_t *chars,
                             Py_ssize_t start, Py_ssize_t end) {
    if (f && chars && !filter_maybe(f, chars + start, end - start)) return 0;
    return slice_in(set, token, start, end);
}

/* Whether token[q:] (after) or token[:q] (before) is in the glue set, each rest at least min_glued characters;
 * worked out once per q on first use (memo: -1 unknown). 1, 0, or -1 with an exception set. */
static int glue_at(PyObject *set, const FilterObject *f, PyObject *token, const uint32_t *chars, Py_ssize_t n,
                   Py_ssize_t q, int after, Py_ssize_t min_glued, signed char *memo) {
    if (q < 0 || q > n) return 0;
    if (memo[q] < 0) {
        if (after ? n - q < min_glued : q < min_glued) {
            memo[q] = 0;
        } else {
            int found = after ? slice_in_f(set, f, token, chars, q, n) : slice_in_f(set, f, token, chars, 0, q);
            if (found < 0) return -1;
            memo[q] = (signed char)found;
        }
    }
    return memo[q];
}

#define GLUE(var, set, q, is_after, memo)                                                              \
    do {                                                                                               \
        var = glue_at((set), (is_after) ? filters->after : filters->before, token, tok, n, (q), (is_after), \
                      min_glued, (memo));                                                              \
        if (var < 0) goto fail;                                                                        \
    } while (0)

#define LOOKUP(buf, at, size)                                                                                   \
    do {                                                                                                        \
        if (lookup_into(self, (buf) + (at), (size), (size) >= two_from ? 2 : (size) >= one_from, out, 1, position, \
                        position, Py_False) < 0)                                                                \
            goto fail;                                                                                          \
    } while (0)

/* Matcher._glued_candidates (matcher.py, the reference) for the word at position, each looked up as
 * Matcher._fuzzy_hits does, hits appended to out in the same order. Returns 0, or -1 with an exception set. */
static int glued_hits(const IndexObject *self, PyObject *token, PyObject *kept_word, Py_ssize_t position,
                      PyObject *glue_after, PyObject *glue_before, Py_ssize_t longest, Py_ssize_t low,
                      Py_ssize_t min_glued, Py_ssize_t one_from, Py_ssize_t two_from, PyObject *out,
                      const Filters *filters) {
    Py_ssize_t n, size_n;
    uint32_t *tok = NULL, *kept = NULL;
    int *run = NULL;
    signed char *after = NULL, *before = NULL;
    int a, b, status = -1;
    if (!(tok = as_ucs4(token, &n)) || !(kept = as_ucs4(kept_word, &size_n))) goto fail;
    after = (signed char *)PyMem_Malloc((size_t)n + 1);
    before = (signed char *)PyMem_Malloc((size_t)n + 1);
    run = (int *)PyMem_Malloc(sizeof(int) * ((size_t)size_n + 1));
    if (!after || !before || !run) {
        PyErr_NoMemory();
        goto fail;
    }
    memset(after, -1, (size_t)n + 1);
    memset(before, -1, (size_t)n + 1);
    Py_ssize_t top = n - min_glued < longest ? n - min_glued : longest;
    for (Py_ssize_t size = low; size <= top; size++) {
        /* A letter shared at the junction was written once: the rest is also tried with it given back. */
        GLUE(a, glue_after, size, 1, after);
        if (!a) GLUE(a, glue_after, size - 1, 1, after);
        if (a) LOOKUP(tok, 0, size);
        GLUE(b, glue_before, n - size, 0, before);
        if (!b) GLUE(b, glue_before, n - size + 1, 0, before);
        if (b) LOOKUP(tok, n - size, size);
    }
    if (size_n != n || memcmp(tok, kept, sizeof(uint32_t) * (size_t)n) != 0) {
        /* run[p]: the position in token of kept[p]'s letter, so kept[p:] collapses to token[run[p]:]. */
        int q = -1;
        for (Py_ssize_t p = 0; p < size_n; p++) {
            if (!p || kept[p] != kept[p - 1]) q++;
            run[p] = q;
        }
        Py_ssize_t kept_top = size_n - min_glued < longest ? size_n - min_glued : longest;
        for (Py_ssize_t size = low; size <= kept_top; size++) {
            GLUE(a, glue_after, run[size], 1, after);
            if (a) LOOKUP(kept, 0, size);
            GLUE(b, glue_before, run[size_n - size - 1] + 1, 0, before);
            if (b) LOOKUP(kept, size_n - size, size);
        }
    }
    status = 0;
fail:
    PyMem_Free(tok);
    PyMem_Free(kept);
    PyMem_Free(run);
    PyMem_Free(after);
    PyMem_Free(before);
    return status;
}

#undef GLUE
#undef LOOKUP

/* Every fuzzy index hit of one query, in one call, in the order Matcher._fuzzy_hits (matcher.py, the reference)
 * yields them: (text, first, last, whole, id, distance). Per word position, the whole-word runs from it (see
 * Index_scan; known: the words in the lexicon's words), then, with glued and for a word of more than
 * anchored_from letters, glued_min_kept+ letters uncollapsed, not in words and not ordinary (see is_ordinary,
 * with the lexicon's affixes), the look-ups of its glued candidates (see glued_hits). */
static PyObject *Index_hits(IndexObject *self, PyObject *args) {
    PyObject *tokens, *despaced, *starts, *ends, *uncollapsed, *words, *prefixes, *suffixes, *glue_after,
        *glue_before, *filter_tuple = Py_None;
    int glued;
    Py_ssize_t max_joined, longest, min_len, max_len, one_from, two_from, anchored_from, glued_min_kept, low,
        min_glued, min_part, max_affix, min_stem;
    if (!PyArg_ParseTuple(args, "O!UO!O!O!OOOOOpnnnnnnnnnnnnn|O", &PyTuple_Type, &tokens, &despaced,
                          &PyTuple_Type, &starts, &PyTuple_Type, &ends, &PyTuple_Type, &uncollapsed, &words, &prefixes,
                          &suffixes, &glue_after, &glue_before, &glued, &max_joined, &longest, &min_len, &max_len,
                          &one_from, &two_from, &anchored_from, &glued_min_kept, &low, &min_glued, &min_part,
                          &max_affix, &min_stem, &filter_tuple))
        return NULL;
    /* filters: None, or Filters of (words, prefixes, suffixes, glue_after, glue_before), each exactly of its set. */
    Filters filters = {NULL, NULL, NULL, NULL, NULL};
    if (filter_tuple != Py_None) {
        if (!PyTuple_Check(filter_tuple) || PyTuple_GET_SIZE(filter_tuple) != 5) {
            PyErr_SetString(PyExc_TypeError, "hits: filters must be None or a tuple of 5 Filters");
            return NULL;
        }
        for (int i = 0; i < 5; i++)
            if (!PyObject_TypeCheck(PyTuple_GET_ITEM(filter_tuple, i), &FilterType)) {
                PyErr_SetString(PyExc_TypeError, "hits: filters must be None or a tuple of 5 Filters");
                return NULL;
            }
        filters.words = (const FilterObject *)PyTuple_GET_ITEM(filter_tuple, 0);
        filters.prefixes = (const FilterObject *)PyTuple_GET_ITEM(filter_tuple, 1);
        filters.suffixes = (const FilterObject *)PyTuple_GET_ITEM(filter_tuple, 2);
        filters.after = (const FilterObject *)PyTuple_GET_ITEM(filter_tuple, 3);
        filters.before = (const FilterObject *)PyTuple_GET_ITEM(filter_tuple, 4);
        for (int i = 0; i < 5; i++)
            if (!((const FilterObject *)PyTuple_GET_ITEM(filter_tuple, i))->bits) {
                PyErr_SetString(PyExc_RuntimeError, "Filter is not initialised");
                return NULL;
            }
    }
    if (!PyAnySet_Check(words) || !PyAnySet_Check(prefixes) || !PyAnySet_Check(suffixes) ||
        !PyAnySet_Check(glue_after) || !PyAnySet_Check(glue_before)) {
        PyErr_SetString(PyExc_TypeError, "hits: words, prefixes, suffixes and the glue sets must be sets or frozensets");
        return NULL;
    }
    if (!self->chars) {
        PyErr_SetString(PyExc_RuntimeError, "Index is not initialised");
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(tokens);
    if (PyTuple_GET_SIZE(starts) != count || PyTuple_GET_SIZE(ends) != count ||
        PyTuple_GET_SIZE(uncollapsed) != count) {
        PyErr_SetString(PyExc_ValueError, "tokens, starts, ends and uncollapsed differ in length");
        return NULL;
    }
    if (min_part < 1 || max_affix < 0 || min_stem < 0 || min_glued < 1 || low < 1) {
        PyErr_SetString(PyExc_ValueError, "min_part, min_glued and the glued length must be >= 1");
        return NULL;
    }
    char *known = (char *)PyMem_Malloc((size_t)count + 1);
    if (!known) return PyErr_NoMemory();
    Py_ssize_t n;
    uint32_t *text = NULL, *kept = NULL;
    Py_ssize_t kept_cap = 0;
    PyObject *out = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *token = PyTuple_GET_ITEM(tokens, i);
        if (!PyUnicode_Check(token) || !PyUnicode_Check(PyTuple_GET_ITEM(uncollapsed, i))) {
            PyErr_SetString(PyExc_TypeError, "tokens and uncollapsed words must be str");
            goto fail;
        }
        int found = PySet_Contains(words, token);
        if (found < 0) goto fail;
        known[i] = (char)found;
    }
    if (!(text = as_ucs4(despaced, &n)) || !(out = PyList_New(0))) goto fail;
    for (Py_ssize_t first = 0; first < count; first++) {
        if (scan_runs(self, text, n, starts, ends, uncollapsed, known, count, first, max_joined, longest, min_len,
                      max_len, one_from, two_from, &kept, &kept_cap, out, Py_True) < 0)
            goto fail;
        if (!glued || known[first]) continue;
        PyObject *token = PyTuple_GET_ITEM(tokens, first), *kept_word = PyTuple_GET_ITEM(uncollapsed, first);
        if (PyUnicode_GET_LENGTH(token) <= anchored_from || PyUnicode_GET_LENGTH(kept_word) < glued_min_kept)
            continue;
        Py_ssize_t token_len;
        uint32_t *chars = filters.words ? as_ucs4(token, &token_len) : NULL;
        if (filters.words && !chars) goto fail;
        int found = is_ordinary(token, words, prefixes, suffixes, 1, min_part, max_affix, min_stem, &filters, chars);
        PyMem_Free(chars);
        if (found < 0) goto fail;
        if (!found && glued_hits(self, token, kept_word, first, glue_after, glue_before, longest, low, min_glued,
                                 one_from, two_from, out, &filters) < 0)
            goto fail;
    }
    PyMem_Free(known);
    PyMem_Free(text);
    PyMem_Free(kept);
    return out;
fail:
    PyMem_Free(known);
    PyMem_Free(text);
    PyMem_Free(kept);
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef Index_methods[] = {
    {"lookup", (PyCFunction)Index_lookup, METH_VARARGS,
     "lookup(candidate, depth) -> [(id, distance)]: words within their allowance, reached by up to depth deletions "
     "of candidate (the candidate itself excluded)."},
    {"scan", (PyCFunction)Index_scan, METH_VARARGS,
     "scan(despaced, starts, ends, uncollapsed, known, max_joined, longest, min_len, max_len, one_from, two_from) -> "
     "[(text, first, last, id, distance)]: the look-ups of a query's whole-word candidates in one call."},
    {"hits", (PyCFunction)Index_hits, METH_VARARGS,
     "hits(tokens, despaced, starts, ends, uncollapsed, words, prefixes, suffixes, glue_after, glue_before, glued, "
     "max_joined, longest, min_len, max_len, one_from, two_from, anchored_from, glued_min_kept, glued_from, "
     "min_glued, min_part, max_affix, min_stem) -> [(text, first, last, whole, id, distance)]: every fuzzy hit of "
     "one query, whole-word runs and glued candidates, in Matcher._fuzzy_hits' order."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sharedhash.deterrence._fuzzykernel.Index",
    .tp_basicsize = sizeof(IndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Index(words, edits, spanning=False): a read-only deletion-neighbourhood index of words with edit allowances 0-2.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Index_init,
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_methods = Index_methods,
};

/* Whether token[start:end] is in the set (or frozenset) words: 1, 0, or -1 with an exception set. */
static int slice_in(PyObject *words, PyObject *token, Py_ssize_t start, Py_ssize_t end) {
    PyObject *part = PyUnicode_Substring(token, start, end);
    if (!part) return -1;
    int found = PySet_Contains(words, part);
    Py_DECREF(part);
    return found;
}

#define SLICE_IN(set, f, a, b)                                                   \
    do {                                                                         \
        found = slice_in_f((set), filters ? filters->f : NULL, token, chars, (a), (b)); \
        if (found) return found;                                                 \
    } while (0)

#define SLICE_IN_THEN(set, f, a, b)                                              \
    do {                                                                         \
        found = slice_in_f((set), filters ? filters->f : NULL, token, chars, (a), (b)); \
        if (found < 0) return -1;                                                \
    } while (0)

/* Lexicon.ordinary (lexicon.py, whose Python code is the reference and the fallback) with the same set look-ups
 * in the same order, without the interpreter's cost per slice: a lexicon word, two lexicon words of min_part+
 * letters run together (the junction letter possibly written once), or, with affixes, a lexicon word with one
 * of the lexicon's prefixes or suffixes of 1 to max_affix letters on a stem of min_stem+ letters. 1, 0, or -1
 * with an exception set. */
static int is_ordinary(PyObject *token, PyObject *words, PyObject *prefixes, PyObject *suffixes, int affixes,
                       Py_ssize_t min_part, Py_ssize_t max_affix, Py_ssize_t min_stem, const Filters *filters,
                       const uint32_t *chars) {
    int found;
    Py_ssize_t n = PyUnicode_GET_LENGTH(token);
    SLICE_IN(words, words, 0, n);
    for (Py_ssize_t i = min_part; i <= n - min_part; i++) {
        SLICE_IN_THEN(words, words, 0, i);
        if (!found) continue;
        SLICE_IN(words, words, i, n);
        SLICE_IN(words, words, i - 1, n);
    }
    if (affixes) {
        Py_ssize_t last = n - min_stem < max_affix ? n - min_stem : max_affix;
        for (Py_ssize_t k = 1; k <= last; k++) {
            SLICE_IN_THEN(suffixes, suffixes, n - k, n);
            if (found) SLICE_IN(words, words, 0, n - k);
            SLICE_IN_THEN(prefixes, prefixes, 0, k);
            if (found) SLICE_IN(words, words, k, n);
        }
    }
    return 0;
}

#undef SLICE_IN
#undef SLICE_IN_THEN

static PyObject *ordinary(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "ordinary(token, words, prefixes, suffixes, affixes, min_part, max_affix, min_stem) takes 8 "
                        "arguments");
        return NULL;
    }
    PyObject *token = args[0], *words = args[1], *prefixes = args[2], *suffixes = args[3];
    if (!PyUnicode_Check(token)) {
        PyErr_Format(PyExc_TypeError, "ordinary: token must be a str, not %.100s", Py_TYPE(token)->tp_name);
        return NULL;
    }
    if (!PyAnySet_Check(words) || !PyAnySet_Check(prefixes) || !PyAnySet_Check(suffixes)) {
        PyErr_SetString(PyExc_TypeError, "ordinary: words, prefixes and suffixes must be sets or frozensets");
        return NULL;
    }
    int affixes = PyObject_IsTrue(args[4]);
    if (affixes < 0) return NULL;
    Py_ssize_t min_part = PyLong_AsSsize_t(args[5]);
    Py_ssize_t max_affix = PyLong_AsSsize_t(args[6]);
    Py_ssize_t min_stem = PyLong_AsSsize_t(args[7]);
    if (PyErr_Occurred()) return NULL;
    if (min_part < 1 || max_affix < 0 || min_stem < 0) {
        PyErr_SetString(PyExc_ValueError, "ordinary: min_part must be >= 1, max_affix and min_stem >= 0");
        return NULL;
    }
    int found = is_ordinary(token, words, prefixes, suffixes, affixes, min_part, max_affix, min_stem, NULL, NULL);
    if (found < 0) return NULL;
    return Py_NewRef(found ? Py_True : Py_False);
}


/* normalise.normalise (normalise.py, the reference and the fallback) for a str of ASCII characters holding none of
 * the symbols leetspeak reads as letters (@ $ ! | +; returns None for one): lower case, digits and "l" read as
 * letters, separators (anything but a letter or digit) to word breaks, runs of one-character words joined, repeated
 * letters written once (with collapse) and the words run together, a letter repeated across a word boundary written
 * once. Returns (tokens, despaced, starts, ends, uncollapsed, digits_read, control): digits_read as
 * normalise._digits_read gives it (number_from: NUMBER_READ_FROM), or () when no word was read so; control: whether
 * the text holds an ASCII control character other than tab, newline and carriage return. */
static PyObject *normalise_ascii(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "normalise_ascii(text: str, collapse, number_from) takes 3 arguments");
        return NULL;
    }
    PyObject *source = args[0];
    if (!PyUnicode_IS_ASCII(source)) {
        PyErr_SetString(PyExc_ValueError, "normalise_ascii: text must be ASCII");
        return NULL;
    }
    int collapse = PyObject_IsTrue(args[1]);
    if (collapse < 0) return NULL;
    Py_ssize_t number_from = PyLong_AsSsize_t(args[2]);
    if (number_from == -1 && PyErr_Occurred()) return NULL;
    const unsigned char *in = PyUnicode_1BYTE_DATA(source);
    Py_ssize_t n = PyUnicode_GET_LENGTH(source);
    static const char leet[128] = {['0'] = 'o', ['1'] = 'i', ['l'] = 'i', ['3'] = 'e', ['4'] = 'a', ['5'] = 's',
                                   ['6'] = 'b', ['7'] = 't', ['8'] = 'b', ['9'] = 'g'};
    int control = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = in[i];
        if (c == '@' || c == '$' || c == '!' || c == '|' || c == '+') Py_RETURN_NONE;
        if ((c <= 0x08) || c == 0x0b || c == 0x0c || (c >= 0x0e && c <= 0x1f) || c == 0x7f) control = 1;
    }
    /* Words: maximal runs of letters and digits, as (start, end) in the text; then groups of them (one word, or a
     * run of one-character words joined) as ranges of words. */
    Py_ssize_t cap = n / 2 + 2;
    Py_ssize_t *wstart = (Py_ssize_t *)PyMem_Malloc(sizeof(Py_ssize_t) * 4 * (size_t)cap);
    char *buf = (char *)PyMem_Malloc((size_t)n + 1);    /* the groups' letters, translated, back to back */
    char *coll = (char *)PyMem_Malloc((size_t)n + 1);   /* the same with repeats collapsed */
    PyObject *tokens = NULL, *raw = NULL, *starts = NULL, *ends = NULL, *flags = NULL, *despaced = NULL,
             *result = NULL;
    char *dbuf = NULL;
    if (!wstart || !buf || !coll) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *wend = wstart + cap, *gfirst = wstart + 2 * cap, *glast = wstart + 3 * cap;
    Py_ssize_t words = 0;
    for (Py_ssize_t i = 0; i < n;) {
        unsigned char c = in[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < n && ((in[j] >= 'a' && in[j] <= 'z') || (in[j] >= 'A' && in[j] <= 'Z') || (in[j] >= '0' && in[j] <= '9')))
            j++;
        wstart[words] = i;
        wend[words] = j;
        words++;
        i = j;
    }
    Py_ssize_t groups = 0;
    for (Py_ssize_t w = 0; w < words;) {
        Py_ssize_t v = w + 1;
        if (wend[w] - wstart[w] == 1)
            while (v < words && wend[v] - wstart[v] == 1) v++;
        gfirst[groups] = w;
        glast[groups] = v;  /* exclusive */
        groups++;
        w = v;
    }
    if (!(tokens = PyTuple_New(groups)) || !(raw = PyTuple_New(groups)) || !(starts = PyTuple_New(groups)) ||
        !(ends = PyTuple_New(groups)))
        goto done;
    dbuf = (char *)PyMem_Malloc((size_t)n + 1);
    if (!dbuf) {
        PyErr_NoMemory();
        goto done;
    }
    int any_digits = 0;
    Py_ssize_t pos = 0;
    char last = 0;
    for (Py_ssize_t g = 0; g < groups; g++) {
        Py_ssize_t len = 0, digits = 0;
        for (Py_ssize_t w = gfirst[g]; w < glast[g]; w++)
            for (Py_ssize_t i = wstart[w]; i < wend[w]; i++) {
                unsigned char c = in[i];
                if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
                if (c >= '0' && c <= '9') digits++;
                buf[len++] = leet[c] ? leet[c] : (char)c;
            }
        /* normalise._digits_read: a run of one-character words with a digit among 2+; a word of digits only from
         * number_from digits; any other word holding a digit. */
        int read;
        if (glast[g] - gfirst[g] > 1 || len == 1)
            read = glast[g] - gfirst[g] > 1 && digits > 0;
        else
            read = digits == len ? len >= number_from : digits > 0;
        if (read) any_digits = 1;
        Py_ssize_t clen = len;
        const char *tok = buf;
        if (collapse) {
            clen = 0;
            for (Py_ssize_t i = 0; i < len; i++)
                if (!i || buf[i] != buf[i - 1]) coll[clen++] = buf[i];
            tok = coll;
        }
        PyObject *r = PyUnicode_FromStringAndSize(buf, len);
        if (!r) goto done;
        PyTuple_SET_ITEM(raw, g, r);
        PyObject *t = collapse ? PyUnicode_FromStringAndSize(coll, clen) : Py_NewRef(r);
        if (!t) goto done;
        PyTuple_SET_ITEM(tokens, g, t);
        /* A letter repeated across the boundary is written once (see normalise._despace). */
        Py_ssize_t skip = collapse && g > 0 && tok[0] == last ? 1 : 0;
        PyObject *st = PyLong_FromSsize_t(pos - skip);
        if (!st) goto done;
        PyTuple_SET_ITEM(starts, g, st);
        memcpy(dbuf + pos, tok + skip, (size_t)(clen - skip));
        pos += clen - skip;
        PyObject *en = PyLong_FromSsize_t(pos);
        if (!en) goto done;
        PyTuple_SET_ITEM(ends, g, en);
        last = tok[clen - 1];
        wstart[g] = read; /* the group's flag, kept where its words' starts were (no longer needed: g <= w) */
    }
    if (any_digits) {
        if (!(flags = PyTuple_New(groups))) goto done;
        for (Py_ssize_t g = 0; g < groups; g++) PyTuple_SET_ITEM(flags, g, Py_NewRef(wstart[g] ? Py_True : Py_False));
    } else if (!(flags = PyTuple_New(0)))
        goto done;
    if (!(despaced = PyUnicode_FromStringAndSize(dbuf, pos))) goto done;
    result = Py_BuildValue("(OOOOOOO)", tokens, despaced, starts, ends, raw, flags, control ? Py_True : Py_False);
done:
    Py_XDECREF(tokens);
    Py_XDECREF(raw);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(flags);
    Py_XDECREF(despaced);
    PyMem_Free(wstart);
    PyMem_Free(buf);
    PyMem_Free(coll);
    PyMem_Free(dbuf);
    return result;
}

static PyMethodDef module_methods[] = {
    {"ordinary", (PyCFunction)(void (*)(void))ordinary, METH_FASTCALL,
     "ordinary(token, words, prefixes, suffixes, affixes, min_part, max_affix, min_stem) -> bool: "
     "Lexicon.ordinary in C (see lexicon.py)."},
    {"normalise_ascii", (PyCFunction)(void (*)(void))normalise_ascii, METH_FASTCALL,
     "normalise_ascii(text, collapse, number_from) -> (tokens, despaced, starts, ends, uncollapsed, digits_read, "
     "control) or None: normalise.normalise of ASCII text without leetspeak symbols, in C (see normalise.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fuzzykernel", "Deletion-neighbourhood fuzzy look-up (C kernel).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fuzzykernel(void) {
    if (PyType_Ready(&IndexType) < 0 || PyType_Ready(&FilterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FilterType);
    if (PyModule_AddObject(m, "Filter", (PyObject *)&FilterType) < 0) {
        Py_DECREF(&FilterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
