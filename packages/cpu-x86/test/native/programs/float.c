/* Compiler-generated x87 code (gcc -m32 uses the x87 for float and double): arithmetic,
 * conversions, comparisons (FCOMI/FUCOMI with -march=i686), FCMOV, square roots, long double. */
#include "rt.h"

static u32 rng_state = 777;
static u32 rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void putd(double d) {
  union { double d; u64 u; } v;
  v.d = d;
  putu(v.u, 16, 16);
}

static double vals[64];

void _start(void) {
  for (int i = 0; i < 64; i++) vals[i] = ((double)(i32)rnd() / (double)(rnd() | 1)) * (i & 1 ? 1e-3 : 1e5);
  double sum = 0, prod = 1, mx = -1e300, mn = 1e300;
  int above = 0;
  for (int i = 0; i < 64; i++) {
    double v = vals[i];
    sum += v;
    prod *= (v > 0 ? v : -v) * 0.5 + 0.75;
    mx = v > mx ? v : mx;
    mn = v < mn ? v : mn;
    above += v >= sum / (i + 1);
  }
  puts_("sum "); putd(sum); puts_(" prod "); putd(prod); putch('\n');
  puts_("max "); putd(mx); puts_(" min "); putd(mn); puts_(" above "); putu((u32)above, 10, 1); putch('\n');
  double r = 0;
  for (int i = 1; i < 200; i++) r += __builtin_sqrt((double)i * 3.25) / (double)i;
  puts_("sqrt "); putd(r); putch('\n');
  i32 ints = 0;
  u32 uns = 0;
  for (int i = 0; i < 64; i++) {
    ints = ints * 3 + (i32)(vals[i] * 0.01);
    uns = uns * 5 + (u32)(vals[i] > 0 ? vals[i] : 0);
  }
  puts_("conv "); putu((u32)ints, 16, 8); puts_(" "); putu(uns, 16, 8); putch('\n');
  float f = 1.0f;
  for (int i = 0; i < 100; i++) f = f * 1.0137f + (float)(i & 7) / 9.0f;
  union { float f; u32 u; } fv;
  fv.f = f;
  puts_("float "); putu(fv.u, 16, 8); putch('\n');
  long double ld = 1.0L;
  for (int i = 1; i < 30; i++) ld = ld * (long double)i / (long double)(i + 1) + 1.0L / 3.0L;
  union { long double l; struct { u64 m; u16 e; } p; } lv;
  lv.l = ld;
  puts_("long double "); putu(lv.p.e, 16, 4); putu(lv.p.m, 16, 16); putch('\n');
  i64 big = 0;
  for (int i = 0; i < 64; i++) big += (i64)(vals[i] * 1000.0);
  puts_("i64 "); putu((u64)big, 16, 16); putch('\n');
  flush();
  sys_exit(0);
}
