// faiss_peer.cpp -- the same-run FAISS peer for `shualian-dev bench index`
// (bench only: built with g++ against Debian's libfaiss-dev, never linked
// into the product). Exact scans do not depend on the data distribution,
// so this uses random unit vectors: N x 512, single queries one at a time
// on one thread (omp_set_num_threads(1)), median and p99 of 100 queries,
// for IndexFlatIP (fp32) and IndexScalarQuantizer QT_8bit (SQ8).
//   usage: faiss_peer N [queries]     prints one JSON object
#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

static double now_ms()
{
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

static void stats(std::vector<double> &t, double *med, double *p99)
{
    std::sort(t.begin(), t.end());
    *med = t[t.size() / 2];
    *p99 = t[t.size() * 99 / 100];
}

int main(int argc, char **argv)
{
    const int d = 512;
    long n = argc > 1 ? std::atol(argv[1]) : 100000;
    int nq = argc > 2 ? std::atoi(argv[2]) : 100;
    omp_set_num_threads(1);
    std::mt19937_64 rng(42);
    std::normal_distribution<float> g;
    std::vector<float> x((size_t)n * d), q((size_t)nq * d);
    auto unit = [&](float *v) {
        double s = 0;
        for (int i = 0; i < d; i++) { v[i] = g(rng); s += (double)v[i] * v[i]; }
        for (int i = 0; i < d; i++) v[i] /= (float)std::sqrt(s);
    };
    for (long i = 0; i < n; i++) unit(&x[(size_t)i * d]);
    for (int i = 0; i < nq; i++) unit(&q[(size_t)i * d]);
    faiss::IndexFlatIP flat(d);
    flat.add(n, x.data());
    faiss::IndexScalarQuantizer sq(d, faiss::ScalarQuantizer::QT_8bit,
                                   faiss::METRIC_INNER_PRODUCT);
    sq.train(std::min<long>(n, 100000), x.data());
    sq.add(n, x.data());
    std::vector<float> dist(10);
    std::vector<faiss::Index::idx_t> lab(10);
    double fm, fp, sm, sp;
    std::vector<double> t;
    for (int i = 0; i < nq; i++) {
        double a = now_ms();
        flat.search(1, &q[(size_t)i * d], 10, dist.data(), lab.data());
        t.push_back(now_ms() - a);
    }
    stats(t, &fm, &fp);
    t.clear();
    int nsq = std::max(10, nq / 4);       // SQ8 is slow: fewer queries
    for (int i = 0; i < nsq; i++) {
        double a = now_ms();
        sq.search(1, &q[(size_t)i * d], 10, dist.data(), lab.data());
        t.push_back(now_ms() - a);
    }
    stats(t, &sm, &sp);
    std::printf("{\"peer\":\"faiss-1.7.3-debian\",\"n\":%ld,\"flat_median_ms\":%.3f,"
                "\"flat_p99_ms\":%.3f,\"sq8_median_ms\":%.3f,\"sq8_p99_ms\":%.3f}\n",
                n, fm, fp, sm, sp);
    return 0;
}
