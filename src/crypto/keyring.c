/*
 * keyring.c -- the key file (format in crypto.h): parse, create, save,
 * rotate, reload; key look-up by id.
 *
 * Concurrency: inside one process a rwlock guards the key arrays (readers:
 * seal/open/sign/verify/mac; writers: rotate/reload, which swap arrays).
 * Across processes (the server and `shualian admin rotate-key`, or several
 * nodes sharing one key file) rotation holds an exclusive flock on
 * "<path>.lock", re-reads the file, adds its key and renames a new file into
 * place, so two rotations never lose a key. First creation links a
 * complete temp file into place, so two nodes starting at once agree on one
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto_int.h"

#define KEYFILE_MAX   ((size_t)1 << 20)
#define KEYS_MAX      4096        /* per kind: years of monthly rotation */

/* The parsed content of a key file (or of a keyring). */
struct keyset {
    sl_suite         suite;
    struct sym_key  *sym;
    size_t           nsym;
    uint32_t         cur_sym;
    struct sign_key *sig;
    size_t           nsig;
    uint32_t         cur_sig;
    uint8_t          index[SL_CRYPTO_KEY_BYTES];
    bool             have_index;
    struct fileid    fid;         /* of the file it was read from/saved to */
};

static void fid_of(const struct stat *sb, struct fileid *f)
{
    f->dev = (uint64_t)sb->st_dev;
    f->ino = (uint64_t)sb->st_ino;
    f->size = (uint64_t)sb->st_size;
    f->mtime_s = (int64_t)sb->st_mtim.tv_sec;
    f->mtime_ns = (int64_t)sb->st_mtim.tv_nsec;
}

/* The identity of the file at path now; zeroed if it cannot be stat'ed. */
static void fid_path(const char *path, struct fileid *f)
{
    struct stat sb;
    memset(f, 0, sizeof(*f));
    if (stat(path, &sb) == 0)
        fid_of(&sb, f);
}

static void keyset_free(struct keyset *ks)
{
    if (ks->sym) {
        sodium_memzero(ks->sym, ks->nsym * sizeof(*ks->sym));
        sl__free(ks->sym);
    }
    for (size_t i = 0; i < ks->nsig; i++)
        if (ks->sig[i].pkey)
            sl__gm_pkey_free(ks->sig[i].pkey);
    if (ks->sig) {
        sodium_memzero(ks->sig, ks->nsig * sizeof(*ks->sig));
        sl__free(ks->sig);
    }
    sodium_memzero(ks, sizeof(*ks));
}

/* ============================ Derivation ================================= */

sl_status sl__kdf(sl_suite s, const uint8_t key[32], const char *label,
                  uint8_t out[32])
{
    return sl__mac_key(s, key, 32, label, strlen(label), out);
}

static sl_status sym_derive(sl_suite s, struct sym_key *k)
{
    if (s == SL_SUITE_GM) {
        sl_status st = sl__kdf(s, k->master, "shualian seal enc", k->enc);
        if (st == SL_OK)
            st = sl__kdf(s, k->master, "shualian seal mac", k->mac);
        return st;
    }
    memset(k->mac, 0, sizeof(k->mac));
    return sl__kdf(s, k->master, "shualian seal aead", k->enc);
}

static sl_status sign_derive(sl_suite s, struct sign_key *k)
{
    if (s == SL_SUITE_INTL) {
        if (crypto_sign_seed_keypair(k->pub, k->sk, k->seed) != 0)
            return SL_ERR_CRYPTO_LIB;
        return SL_OK;
    }
    sl_status st = sl__gm_pub_from_priv(k->seed, k->pub);
    if (st == SL_ERR_INVALID)
        return SL_ERR_CRYPTO_KEYFILE;           /* scalar out of range */
    if (st == SL_OK)
        st = sl__gm_pkey_new(k->seed, k->pub, &k->pkey);
    return st;
}

/* ============================ Parsing ==================================== */

static bool parse_kid(const char *s, uint32_t *out)
{
    if (*s < '1' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool has_sym(const struct keyset *ks, uint32_t kid)
{
    for (size_t i = 0; i < ks->nsym; i++)
        if (ks->sym[i].kid == kid)
            return true;
    return false;
}

static bool has_sig(const struct keyset *ks, uint32_t kid)
{
    for (size_t i = 0; i < ks->nsig; i++)
        if (ks->sig[i].kid == kid)
            return true;
    return false;
}

static sl_status add_sym(struct keyset *ks, uint32_t kid, const uint8_t m[32])
{
    if (ks->nsym >= KEYS_MAX)
        return SL_ERR_CRYPTO_KEYFILE;
    struct sym_key *a = sl__malloc((ks->nsym + 1) * sizeof(*a));
    if (!a)
        return SL_ERR_NOMEM;
    if (ks->nsym) {
        memcpy(a, ks->sym, ks->nsym * sizeof(*a));
        sodium_memzero(ks->sym, ks->nsym * sizeof(*a));
    }
    sl__free(ks->sym);
    ks->sym = a;
    struct sym_key *k = &a[ks->nsym++];
    memset(k, 0, sizeof(*k));
    k->kid = kid;
    memcpy(k->master, m, 32);
    return sym_derive(ks->suite, k);
}

static sl_status add_sig(struct keyset *ks, uint32_t kid, const uint8_t seed[32])
{
    if (ks->nsig >= KEYS_MAX)
        return SL_ERR_CRYPTO_KEYFILE;
    struct sign_key *a = sl__malloc((ks->nsig + 1) * sizeof(*a));
    if (!a)
        return SL_ERR_NOMEM;
    if (ks->nsig) {
        memcpy(a, ks->sig, ks->nsig * sizeof(*a));
        sodium_memzero(ks->sig, ks->nsig * sizeof(*a));
    }
    sl__free(ks->sig);
    ks->sig = a;
    struct sign_key *k = &a[ks->nsig++];
    memset(k, 0, sizeof(*k));
    k->kid = kid;
    memcpy(k->seed, seed, 32);
    return sign_derive(ks->suite, k);
}

/* Parses text (NUL-terminated, modified in place) into ks (zeroed first).
 * want is the suite the caller configured. */
static sl_status parse(char *text, sl_suite want, struct keyset *ks)
{
    memset(ks, 0, sizeof(*ks));
    sl_status st = SL_ERR_CRYPTO_KEYFILE;
    bool have_version = false, have_suite = false;
    uint8_t key[32];
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (ll == 0 || line[0] == '#')
            continue;
        char *f[4] = { 0 };
        int nf = 0;
        char *fs = NULL;
        for (char *w = strtok_r(line, " ", &fs); w; w = strtok_r(NULL, " ", &fs)) {
            if (nf == 3)
                goto out;                        /* too many fields */
            f[nf++] = w;
        }
        uint32_t kid = 0;
        if (!have_version) {
            if (nf != 2 || strcmp(f[0], "shualian-keys") != 0 ||
                strcmp(f[1], "1") != 0)
                goto out;
            have_version = true;
        } else if (strcmp(f[0], "suite") == 0 && nf == 2 && !have_suite) {
            if (sl__suite_parse(f[1], &ks->suite) != SL_OK)
                goto out;
            if (ks->suite != want) {
                st = SL_ERR_CRYPTO_SUITE;
                goto out;
            }
            have_suite = true;
        } else if (!have_suite) {
            goto out;                            /* suite comes before keys */
        } else if (strcmp(f[0], "sym") == 0 && nf == 3) {
            if (!parse_kid(f[1], &kid) || has_sym(ks, kid) ||
                sl__hex_decode(key, 32, f[2]) != SL_OK)
                goto out;
            if ((st = add_sym(ks, kid, key)) != SL_OK)
                goto out;
            st = SL_ERR_CRYPTO_KEYFILE;
        } else if (strcmp(f[0], "sign") == 0 && nf == 3) {
            if (!parse_kid(f[1], &kid) || has_sig(ks, kid) ||
                sl__hex_decode(key, 32, f[2]) != SL_OK)
                goto out;
            if ((st = add_sig(ks, kid, key)) != SL_OK)
                goto out;
            st = SL_ERR_CRYPTO_KEYFILE;
        } else if (strcmp(f[0], "index") == 0 && nf == 2 && !ks->have_index) {
            if (sl__hex_decode(ks->index, 32, f[1]) != SL_OK)
                goto out;
            ks->have_index = true;
        } else if (strcmp(f[0], "sym-current") == 0 && nf == 2 && !ks->cur_sym) {
            if (!parse_kid(f[1], &ks->cur_sym))
                goto out;
        } else if (strcmp(f[0], "sign-current") == 0 && nf == 2 && !ks->cur_sig) {
            if (!parse_kid(f[1], &ks->cur_sig))
                goto out;
        } else {
            goto out;
        }
    }
    if (have_suite && ks->have_index && has_sym(ks, ks->cur_sym) &&
        has_sig(ks, ks->cur_sig))
        st = SL_OK;
out:
    sodium_memzero(key, sizeof(key));
    if (st != SL_OK)
        keyset_free(ks);
    return st;
}

/* Reads and parses the key file; checks its mode first. */
static sl_status load(const char *path, sl_suite want, struct keyset *ks)
{
    /* a symlink is followed (secret mounts are symlinks); the mode checked
     * is the target's */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO;
    struct stat sb;
    sl_status st = SL_ERR_IO;
    char *text = NULL;
    if (fstat(fd, &sb) != 0)
        goto out;
    if (!S_ISREG(sb.st_mode)) {
        st = SL_ERR_CRYPTO_KEYFILE;
        goto out;
    }
    if (sb.st_mode & 077) {
        st = SL_ERR_CRYPTO_KEYFILE_MODE;
        goto out;
    }
    if ((size_t)sb.st_size > KEYFILE_MAX) {
        st = SL_ERR_CRYPTO_KEYFILE;
        goto out;
    }
    st = SL_ERR_NOMEM;
    text = sl__malloc((size_t)sb.st_size + 1);
    if (!text)
        goto out;
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, text + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            st = SL_ERR_IO;
            goto out;
        }
        got += (size_t)r;
    }
    text[got] = '\0';
    if (strlen(text) != got) {
        st = SL_ERR_CRYPTO_KEYFILE;             /* embedded NUL */
        goto out;
    }
    st = parse(text, want, ks);
    if (st == SL_OK)
        fid_of(&sb, &ks->fid);
out:
    if (text) {
        sodium_memzero(text, (size_t)sb.st_size + 1);
        sl__free(text);
    }
    close(fd);
    return st;
}

/* ============================ Saving ===================================== */

static sl_status format(const struct keyset *ks, struct sl_buf *b)
{
    char hex[65];
    sl_status st = sl_buf_appendf(b,
        "# shualian key file: keep secret, mode 0600, back it up; losing it\n"
        "# loses every encrypted photo, template and ID number\n"
        "shualian-keys 1\nsuite %s\n", sl__suite_name(ks->suite));
    for (size_t i = 0; st == SL_OK && i < ks->nsym; i++) {
        sl__hex_encode(hex, sizeof(hex), ks->sym[i].master, 32);
        st = sl_buf_appendf(b, "sym %" PRIu32 " %s\n", ks->sym[i].kid, hex);
    }
    if (st == SL_OK)
        st = sl_buf_appendf(b, "sym-current %" PRIu32 "\n", ks->cur_sym);
    if (st == SL_OK) {
        sl__hex_encode(hex, sizeof(hex), ks->index, 32);
        st = sl_buf_appendf(b, "index %s\n", hex);
    }
    for (size_t i = 0; st == SL_OK && i < ks->nsig; i++) {
        sl__hex_encode(hex, sizeof(hex), ks->sig[i].seed, 32);
        st = sl_buf_appendf(b, "sign %" PRIu32 " %s\n", ks->sig[i].kid, hex);
    }
    if (st == SL_OK)
        st = sl_buf_appendf(b, "sign-current %" PRIu32 "\n", ks->cur_sig);
    sodium_memzero(hex, sizeof(hex));
    return st;
}

/* Writes ks to "<path>.tmp" (0600, fsync), then renames it over path, or,
 * if exclusive, links it to path (fails with SL_ERR_STATE if path exists). */
static sl_status save(const char *path, const struct keyset *ks, bool exclusive)
{
    struct sl_buf b;
    sl_buf_init(&b, KEYFILE_MAX);
    size_t pl = strlen(path);
    char *tmp = sl__malloc(pl + 5);
    sl_status st = SL_ERR_NOMEM;
    int fd = -1;
    if (!tmp)
        goto out;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    if ((st = format(ks, &b)) != SL_OK)
        goto out;
    st = SL_ERR_IO;
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto out;
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto out_unlink;
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto out_unlink;
    }
    fd = -1;
    if (exclusive) {
        if (link(tmp, path) != 0) {
            st = errno == EEXIST ? SL_ERR_STATE : SL_ERR_IO;
            goto out_unlink;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        goto out_unlink;
    }
    st = SL_OK;
    goto out;
out_unlink:
    if (fd >= 0)
        close(fd);
    fd = -1;
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    if (b.data)
        sodium_memzero(b.data, b.cap);
    sl_buf_free(&b);
    sl__free(tmp);
    return st;
}

/* A fresh key set: sym 1, index, sign 1. */
static sl_status generate(sl_suite s, struct keyset *ks)
{
    memset(ks, 0, sizeof(*ks));
    ks->suite = s;
    uint8_t key[32];
    sl__random(key, 32);
    sl_status st = add_sym(ks, 1, key);
    if (st == SL_OK) {
        if (s == SL_SUITE_GM)
            st = sl__gm_keygen(key);
        else
            sl__random(key, 32);
    }
    if (st == SL_OK)
        st = add_sig(ks, 1, key);
    sodium_memzero(key, sizeof(key));
    sl__random(ks->index, 32);
    ks->have_index = true;
    ks->cur_sym = ks->cur_sig = 1;
    if (st != SL_OK)
        keyset_free(ks);
    return st;
}

/* ============================ Keyring ==================================== */

/* Moves ks's keys into k (write lock held, or k not yet shared). The suite
 * is set once at open and never written again: it is read without the lock. */
static void take(sl_keyring *k, struct keyset *ks)
{
    k->sym = ks->sym;
    k->nsym = ks->nsym;
    k->cur_sym = ks->cur_sym;
    k->sig = ks->sig;
    k->nsig = ks->nsig;
    k->cur_sig = ks->cur_sig;
    memcpy(k->index, ks->index, 32);
    k->fid = ks->fid;
    memset(ks, 0, sizeof(*ks));
}

static struct keyset view(const sl_keyring *k)
{
    struct keyset ks = {
        .suite = k->suite, .sym = k->sym, .nsym = k->nsym,
        .cur_sym = k->cur_sym, .sig = k->sig, .nsig = k->nsig,
        .cur_sig = k->cur_sig, .have_index = true,
    };
    memcpy(ks.index, k->index, 32);
    return ks;
}

sl_status sl__keyring_open(const char *path, sl_suite s, bool create,
                           sl_keyring **out)
{
    sl_status st = sl__crypto_init();
    if (st != SL_OK)
        return st;
    if (!path || !*path || (s != SL_SUITE_GM && s != SL_SUITE_INTL))
        return SL_ERR_INVALID;
    struct keyset ks;
    st = load(path, s, &ks);
    if (st == SL_ERR_NOT_FOUND && create) {
        st = generate(s, &ks);
        if (st == SL_OK) {
            st = save(path, &ks, true);
            if (st == SL_OK)
                fid_path(path, &ks.fid);
            if (st == SL_ERR_STATE) {           /* another node was faster */
                keyset_free(&ks);
                st = load(path, s, &ks);
            } else if (st != SL_OK) {
                keyset_free(&ks);
            }
        }
    }
    if (st != SL_OK)
        return st;
    sl_keyring *k = sl__calloc(1, sizeof(*k));
    char *p = sl__strdup(path);
    /* writers (rotate/reload) are rare; prefer them so a busy server's
     * readers cannot starve a rotation (no reader ever nests the lock) */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (!k || !p || pthread_rwlock_init(&k->lock, &attr) != 0) {
        pthread_rwlockattr_destroy(&attr);
        sl__free(k);
        sl__free(p);
        keyset_free(&ks);
        return SL_ERR_NOMEM;
    }
    pthread_rwlockattr_destroy(&attr);
    k->path = p;
    k->suite = ks.suite;
    take(k, &ks);
    *out = k;
    return SL_OK;
}

void sl__keyring_free(sl_keyring *k)
{
    if (!k)
        return;
    struct keyset ks = view(k);
    keyset_free(&ks);
    pthread_rwlock_destroy(&k->lock);
    sl__free(k->path);
    sodium_memzero(k, sizeof(*k));
    sl__free(k);
}

sl_suite sl__keyring_suite(const sl_keyring *k)
{
    return k->suite;          /* never changes after open */
}

uint32_t sl__keyring_current_kid(const sl_keyring *k)
{
    sl__kr_rdlock(k);
    uint32_t kid = k->cur_sym;
    sl__kr_unlock(k);
    return kid;
}

uint32_t sl__keyring_current_sign_kid(const sl_keyring *k)
{
    sl__kr_rdlock(k);
    uint32_t kid = k->cur_sig;
    sl__kr_unlock(k);
    return kid;
}

void sl__kr_rdlock(const sl_keyring *k)
{
    /* the lock is not part of the keyring's logical (const) state */
    SL_ASSERT(pthread_rwlock_rdlock((pthread_rwlock_t *)&k->lock) == 0);
}

void sl__kr_unlock(const sl_keyring *k)
{
    pthread_rwlock_unlock((pthread_rwlock_t *)&k->lock);
}

const struct sym_key *sl__kr_sym(const sl_keyring *k, uint32_t kid)
{
    for (size_t i = 0; i < k->nsym; i++)
        if (k->sym[i].kid == kid)
            return &k->sym[i];
    return NULL;
}

const struct sign_key *sl__kr_sign(const sl_keyring *k, uint32_t kid)
{
    for (size_t i = 0; i < k->nsig; i++)
        if (k->sig[i].kid == kid)
            return &k->sig[i];
    return NULL;
}

/* Every key we hold must still be in the file, with the same bytes: a file
 * that dropped or changed a key is refused rather than followed. */
static bool superset(const sl_keyring *k, const struct keyset *ks)
{
    if (memcmp(k->index, ks->index, 32) != 0)
        return false;
    for (size_t i = 0; i < k->nsym; i++) {
        bool found = false;
        for (size_t j = 0; j < ks->nsym && !found; j++)
            found = ks->sym[j].kid == k->sym[i].kid &&
                    sodium_memcmp(ks->sym[j].master, k->sym[i].master, 32) == 0;
        if (!found)
            return false;
    }
    for (size_t i = 0; i < k->nsig; i++) {
        bool found = false;
        for (size_t j = 0; j < ks->nsig && !found; j++)
            found = ks->sig[j].kid == k->sig[i].kid &&
                    sodium_memcmp(ks->sig[j].seed, k->sig[i].seed, 32) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* With the write lock held: replace the keys by the file's. */
static sl_status reload_locked(sl_keyring *k)
{
    struct keyset ks;
    sl_status st = load(k->path, k->suite, &ks);
    if (st != SL_OK)
        return st;
    if (!superset(k, &ks)) {
        keyset_free(&ks);
        return SL_ERR_CRYPTO_KEYFILE;
    }
    struct keyset old = view(k);
    take(k, &ks);
    keyset_free(&old);
    return SL_OK;
}

sl_status sl__keyring_reload(sl_keyring *k)
{
    pthread_rwlock_wrlock(&k->lock);
    sl_status st = reload_locked(k);
    atomic_store(&k->last_reload_ns, sl_time_mono_ns());
    pthread_rwlock_unlock(&k->lock);
    return st;
}

void sl__kr_refresh(const sl_keyring *kc)
{
    sl_keyring *k = (sl_keyring *)kc;     /* the keys, not the handle, change */
    uint64_t now = sl_time_mono_ns();
    uint64_t last = atomic_load(&k->last_check_ns);
    if (now - last < (uint64_t)SL_CRYPTO_REFRESH_MS * 1000000u ||
        !atomic_compare_exchange_strong(&k->last_check_ns, &last, now))
        return;                           /* too soon, or another thread is on it */
    struct fileid f;
    fid_path(k->path, &f);
    sl__kr_rdlock(k);
    bool same = memcmp(&f, &k->fid, sizeof(f)) == 0;
    sl__kr_unlock(k);
    if (same || f.ino == 0)
        return;
    sl_status st = sl__keyring_reload(k);
    if (st != SL_OK)
        sl_log_warn("key file %s changed but cannot be reloaded: %s", k->path,
                    sl_status_name(st));
}

/* Exclusive cross-process lock on "<path>.lock" into *fd. */
static sl_status file_lock(const char *path, int *fd)
{
    size_t pl = strlen(path);
    char *lp = sl__malloc(pl + 6);
    if (!lp)
        return SL_ERR_NOMEM;
    memcpy(lp, path, pl);
    memcpy(lp + pl, ".lock", 6);
    int f = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    sl__free(lp);
    if (f >= 0 && flock(f, LOCK_EX) != 0) {
        close(f);
        f = -1;
    }
    *fd = f;
    return f < 0 ? SL_ERR_IO : SL_OK;
}

static sl_status rotate(sl_keyring *k, bool sign, uint32_t *new_kid)
{
    pthread_rwlock_wrlock(&k->lock);
    int lfd = -1;
    sl_status st = file_lock(k->path, &lfd);
    if (st == SL_OK)
        st = reload_locked(k);
    if (st != SL_OK)
        goto out;
    /* build the new set as a copy, so a failure leaves k untouched */
    struct keyset ks = { .suite = k->suite, .have_index = true };
    memcpy(ks.index, k->index, 32);
    uint32_t next = 0;
    for (size_t i = 0; st == SL_OK && i < k->nsym; i++) {
        st = add_sym(&ks, k->sym[i].kid, k->sym[i].master);
        if (!sign)
            next = SL_MAX(next, k->sym[i].kid);
    }
    for (size_t i = 0; st == SL_OK && i < k->nsig; i++) {
        st = add_sig(&ks, k->sig[i].kid, k->sig[i].seed);
        if (sign)
            next = SL_MAX(next, k->sig[i].kid);
    }
    if (st == SL_OK && next == UINT32_MAX)
        st = SL_ERR_CRYPTO_KEYFILE;
    next++;
    ks.cur_sym = k->cur_sym;
    ks.cur_sig = k->cur_sig;
    uint8_t key[32];
    if (st == SL_OK) {
        if (sign && k->suite == SL_SUITE_GM)
            st = sl__gm_keygen(key);
        else
            sl__random(key, 32);
    }
    if (st == SL_OK)
        st = sign ? add_sig(&ks, next, key) : add_sym(&ks, next, key);
    sodium_memzero(key, sizeof(key));
    if (st == SL_OK) {
        if (sign)
            ks.cur_sig = next;
        else
            ks.cur_sym = next;
        st = save(k->path, &ks, false);
        if (st == SL_OK)
            fid_path(k->path, &ks.fid);
    }
    if (st == SL_OK) {
        struct keyset old = view(k);
        take(k, &ks);
        keyset_free(&old);
        if (new_kid)
            *new_kid = next;
    } else {
        keyset_free(&ks);
    }
out:
    if (lfd >= 0)
        close(lfd);              /* releases the flock */
    pthread_rwlock_unlock(&k->lock);
    return st;
}

sl_status sl__keyring_rotate(sl_keyring *k, uint32_t *new_kid)
{
    return rotate(k, false, new_kid);
}

sl_status sl__keyring_rotate_sign(sl_keyring *k, uint32_t *new_kid)
{
    return rotate(k, true, new_kid);
}
