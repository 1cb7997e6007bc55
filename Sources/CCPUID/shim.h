// The x86-64 instructions that report CPU features, for LgregCore's start-up check (header only,
// nothing to link). Compiled into a module built for the baseline x86-64, never for -target-cpu haswell.
#pragma once
#include <stdint.h>

#if defined(__x86_64__)
#include <cpuid.h>

/// CPUID leaf `leaf`, sub-leaf `subleaf` into regs = {eax, ebx, ecx, edx}; 0 if the leaf is beyond the CPU's
/// highest (regs then untouched).
static inline int lgreg_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
}

/// XGETBV with ECX = 0: the XCR0 register, which says which register states the OS saves. Only valid when
/// CPUID.1:ECX.OSXSAVE[bit 27] is set (otherwise the instruction faults).
static inline uint64_t lgreg_xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#endif
