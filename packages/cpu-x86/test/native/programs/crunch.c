/* Compiler-generated integer code: hashing, sorting, formatting, recursion, switch tables,
 * function pointers, bit manipulation, 64-bit arithmetic, struct copies. */
#include "rt.h"

static u32 rng_state = 12345;
static u32 rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static u32 crc32(const u8 *p, u32 n) {
  u32 c = 0xffffffff;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c;
}

static const u32 K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256(const u8 *msg, u32 len, u32 h[8]) {
  static const u32 init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  u8 block[64];
  for (int i = 0; i < 8; i++) h[i] = init[i];
  u32 total = len + 9;
  u32 blocks = (total + 63) / 64;
  for (u32 b = 0; b < blocks; b++) {
    for (u32 i = 0; i < 64; i++) {
      u32 at = b * 64 + i;
      u8 v;
      if (at < len) v = msg[at];
      else if (at == len) v = 0x80;
      else if (at >= blocks * 64 - 8) v = (u8)((u64)len * 8 >> (8 * (blocks * 64 - 1 - at)));
      else v = 0;
      block[i] = v;
    }
    u32 w[64];
    for (int i = 0; i < 16; i++) w[i] = (u32)block[4 * i] << 24 | (u32)block[4 * i + 1] << 16 | (u32)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
      u32 s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
      u32 s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
      u32 t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
      u32 t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = bb; bb = a; a = t1 + t2;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
}

static void qsort_i(i32 *a, int lo, int hi) {
  while (lo < hi) {
    i32 p = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { i32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { qsort_i(a, lo, j); lo = i; } else { qsort_i(a, i, hi); hi = j; }
  }
}

static u32 ack(u32 m, u32 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static int classify(int x) {
  switch (x & 15) {
    case 0: return 3; case 1: return 17; case 2: return -4; case 3: return 99;
    case 4: return x * 3; case 5: return x ^ 0x55; case 6: return x >> 2; case 7: return -x;
    case 8: return x + 1000; case 9: return 7; case 10: return x % 7; case 11: return x / 3;
    case 12: return ~x; case 13: return x << 3; case 14: return x & 0xf0; default: return 0;
  }
}

struct rec { u32 a, b; u16 c; u8 d[13]; i64 e; };
typedef u32 (*op_fn)(u32, u32);
static u32 op_add(u32 a, u32 b) { return a + b; }
static u32 op_mul(u32 a, u32 b) { return a * b; }
static u32 op_rot(u32 a, u32 b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static u32 op_div(u32 a, u32 b) { return b ? a / b : a; }

static u8 data[8192];
static i32 arr[3000];

void _start(void) {
  for (u32 i = 0; i < sizeof data; i++) data[i] = (u8)rnd();
  puts_("crc32 "); putu(crc32(data, sizeof data), 16, 8); putch('\n');
  u32 h[8];
  sha256((const u8 *)"abc", 3, h);
  puts_("sha256(abc) ");
  for (int i = 0; i < 8; i++) putu(h[i], 16, 8);
  putch('\n');
  sha256(data, 1000, h);
  puts_("sha256(data) ");
  for (int i = 0; i < 8; i++) putu(h[i], 16, 8);
  putch('\n');
  for (int i = 0; i < 3000; i++) arr[i] = (i32)rnd() >> (i & 7);
  qsort_i(arr, 0, 2999);
  u32 ok = 1, sum = 0;
  for (int i = 1; i < 3000; i++) { if (arr[i - 1] > arr[i]) ok = 0; sum = sum * 31 + (u32)arr[i]; }
  puts_("sorted "); putu(ok, 10, 1); puts_(" sum "); putu(sum, 16, 8); putch('\n');
  puts_("ack(2,3)="); putu(ack(2, 3), 10, 1); puts_(" ack(3,3)="); putu(ack(3, 3), 10, 1); putch('\n');
  i32 cs = 0;
  for (int i = -500; i < 500; i++) cs = cs * 7 + classify(i * 37);
  puts_("switch "); putu((u32)cs, 16, 8); putch('\n');
  op_fn ops[4] = {op_add, op_mul, op_rot, op_div};
  u32 acc = 1;
  for (u32 i = 0; i < 2000; i++) acc = ops[i & 3](acc, rnd() | 1);
  puts_("fnptr "); putu(acc, 16, 8); putch('\n');
  u64 x = 0x123456789abcdefULL, y = 0;
  i64 s = -1234567890123LL;
  for (int i = 0; i < 200; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    y += x / ((x >> 40) | 1) + x % 1000003;
    s = s / 3 + (i64)(x >> 33) - (s % 1000);
  }
  puts_("u64 "); putu(x, 16, 16); puts_(" "); putu(y, 16, 16); puts_(" "); putu((u64)s, 16, 16); putch('\n');
  struct rec r[40];
  for (int i = 0; i < 40; i++) { r[i].a = rnd(); r[i].b = i; r[i].c = (u16)rnd(); for (int k = 0; k < 13; k++) r[i].d[k] = (u8)(i + k); r[i].e = -(i64)rnd() * 77; }
  struct rec t = r[7];
  for (int i = 0; i < 39; i++) r[i] = r[i + 1];
  r[39] = t;
  puts_("structs "); putu(crc32((const u8 *)r, sizeof r), 16, 8); putch('\n');
  u32 bits = 0;
  for (u32 i = 1; i < 5000; i++) {
    u32 v = rnd();
    bits += (u32)__builtin_ctz(v | 0x80000000) + (u32)__builtin_clz(v | 1) + ((v >> (i & 31)) & 1);
  }
  puts_("bits "); putu(bits, 10, 1); putch('\n');
  flush();
  sys_exit(0);
}
