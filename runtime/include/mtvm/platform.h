/*
 * Compiler portability macros used by the generated code (and available to kernels).
 *
 * Generated constants are placed with MTVM_CONST_ATTRS(section, alignment) and the internal
 * workspace pool with MTVM_POOL_ATTRS(section, alignment). Both expand to GCC/Clang attributes;
 * a port can predefine any of these macros (e.g. with -D on the command line) to use another
 * toolchain's syntax, or define MTVM_NO_SECTIONS to keep the toolchain's default sections.
 */
#ifndef MTVM_PLATFORM_H_
#define MTVM_PLATFORM_H_

#if defined(__GNUC__) || defined(__clang__)
#define MTVM_HAVE_GNU_ATTRIBUTES 1
#else
#define MTVM_HAVE_GNU_ATTRIBUTES 0
#endif

/* Minimum alignment of an object, in bytes (a power of two). */
#ifndef MTVM_ALIGNED
#if MTVM_HAVE_GNU_ATTRIBUTES
#define MTVM_ALIGNED(n) __attribute__((aligned(n)))
#else
#define MTVM_ALIGNED(n)
#endif
#endif

/*
 * Linker section of an object. Mach-O requires "segment,section" names, so the ELF-style
 * section names used by default (".rodata.tvm", ".bss.noinit.tvm") are dropped there.
 */
#ifndef MTVM_SECTION
#if MTVM_HAVE_GNU_ATTRIBUTES && !defined(__APPLE__) && !defined(MTVM_NO_SECTIONS)
#define MTVM_SECTION(name) __attribute__((section(name)))
#else
#define MTVM_SECTION(name)
#endif
#endif

/* Attributes of a generated constant array (weights, biases, lookup tables). */
#ifndef MTVM_CONST_ATTRS
#define MTVM_CONST_ATTRS(section, alignment) MTVM_SECTION(section) MTVM_ALIGNED(alignment)
#endif

/* Attributes of a generated internal workspace pool (zero-initialisation is not needed). */
#ifndef MTVM_POOL_ATTRS
#define MTVM_POOL_ATTRS(section, alignment) MTVM_SECTION(section) MTVM_ALIGNED(alignment)
#endif

/* Marks a parameter or variable as possibly unused without a warning. */
#ifndef MTVM_UNUSED
#define MTVM_UNUSED(x) ((void)(x))
#endif

#endif /* MTVM_PLATFORM_H_ */
