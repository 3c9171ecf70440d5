/*
 * attr -- the compiler attributes every module uses, spelled once.
 *
 * BASE_WUR marks a function whose result must not be ignored: every fallible function of
 * the project (STYLE.md habit 3), so that a caller who drops an error code gets a
 * warning, which -Werror makes a build failure. A caller who really means to ignore one
 * says so with a (void) cast and, in a comment, why.
 */
#ifndef PLENARY_BASE_ATTR_H
#define PLENARY_BASE_ATTR_H

#define BASE_WUR __attribute__((warn_unused_result))

#endif
