# SPDX-License-Identifier: Apache-2.0
dnl NH_STATIC: the fully static build of the hook.
dnl
dnl Probes whether the hook's libraries link into a static executable
dnl (Debian ships libyajl_s.a in libyajl-dev, libcgroup.a in libcgroup-dev,
dnl libprotobuf-c.a in libprotobuf-c-dev and libc.a in libc6-dev) and sets:
dnl   NH_STATIC_LIBS     the libraries for a static link (-lyajl_s -lcgroup -lprotobuf-c ...)
dnl   NH_STATIC_LDFLAGS  -static-pie, or -static where the toolchain lacks it
dnl   NH_HOOK_LDFLAGS    NH_STATIC_LDFLAGS with --enable-static, else empty
dnl   AM_CONDITIONAL NH_CAN_STATIC  the probe succeeded
dnl   AM_CONDITIONAL NH_STATIC      --enable-static: oci-numa-hook itself is static
dnl With --enable-static, YAJL_LIBS, CGROUP_LIBS and PROTOBUF_C_LIBS are
dnl replaced by the static ones, so every program of the tree links the same
dnl archives.
dnl
dnl libcgroup.a drags in getpwnam, getgrnam and friends (rules and cgconfig
dnl parsing, which the hook never calls): the linker warns that a static binary
dnl would need glibc's NSS modules at run time for them. Those warnings are
dnl expected and harmless here; tests check that a hook run opens no NSS file.
AC_DEFUN([NH_STATIC], [
AC_ARG_ENABLE([static],
  [AS_HELP_STRING([--enable-static],
    [link oci-numa-hook fully statically (no shared library at run time)])],
  [], [enable_static=no])

NH_STATIC_LIBS=
NH_STATIC_LDFLAGS=
nh_can_static=no
AC_MSG_CHECKING([for a static link of yajl, libcgroup and protobuf-c])
nh_save_LIBS=$LIBS
nh_save_LDFLAGS=$LDFLAGS
for nh_ldflags in -static-pie -static; do
  for nh_yajl in -lyajl_s -lyajl; do
    for nh_extra in "" -lpthread; do
      LDFLAGS="$nh_save_LDFLAGS $nh_ldflags"
      LIBS="$nh_yajl -lcgroup -lprotobuf-c $nh_extra $nh_save_LIBS"
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#include <yajl/yajl_tree.h>
#include <libcgroup.h>
#include <protobuf-c/protobuf-c.h>
]], [[
if (!protobuf_c_version())
	return 1;
char err[64];
yajl_val v = yajl_tree_parse("{}", err, sizeof(err));
yajl_tree_free(v);
return cgroup_init();
]])], [nh_can_static=yes])
      if test "x$nh_can_static" = xyes; then
        NH_STATIC_LIBS="$nh_yajl -lcgroup -lprotobuf-c $nh_extra"
        NH_STATIC_LDFLAGS=$nh_ldflags
        break 3
      fi
    done
  done
done
LIBS=$nh_save_LIBS
LDFLAGS=$nh_save_LDFLAGS
AS_IF([test "x$nh_can_static" = xyes],
      [AC_MSG_RESULT([$NH_STATIC_LDFLAGS $NH_STATIC_LIBS])],
      [AC_MSG_RESULT([no])])

NH_HOOK_LDFLAGS=
AS_IF([test "x$enable_static" = xyes], [
  AS_IF([test "x$nh_can_static" != xyes],
    [AC_MSG_ERROR([--enable-static: yajl, libcgroup and protobuf-c do not link statically; need libyajl_s.a or libyajl.a (Debian: libyajl-dev), libcgroup.a (libcgroup-dev), libprotobuf-c.a (libprotobuf-c-dev) and libc.a (libc6-dev)])])
  AS_IF([test "x$enable_sanitizers" = xyes],
    [AC_MSG_ERROR([--enable-static and --enable-sanitizers do not go together (the sanitizer runtimes are shared libraries)])])
  NH_HOOK_LDFLAGS=$NH_STATIC_LDFLAGS
  nh_static_yajl=
  nh_static_cgroup=
  nh_static_protobuf_c=
  for nh_lib in $NH_STATIC_LIBS; do
    case $nh_lib in
    -lyajl*) nh_static_yajl=$nh_lib ;;
    -lprotobuf-c) nh_static_protobuf_c=$nh_lib ;;
    *) nh_static_cgroup="$nh_static_cgroup $nh_lib" ;;
    esac
  done
  YAJL_LIBS=$nh_static_yajl
  CGROUP_LIBS=$nh_static_cgroup
  PROTOBUF_C_LIBS=$nh_static_protobuf_c
])
AC_SUBST([NH_STATIC_LIBS])
AC_SUBST([NH_STATIC_LDFLAGS])
AC_SUBST([NH_HOOK_LDFLAGS])
AM_CONDITIONAL([NH_CAN_STATIC], [test "x$nh_can_static" = xyes])
AM_CONDITIONAL([NH_STATIC], [test "x$enable_static" = xyes])
])
