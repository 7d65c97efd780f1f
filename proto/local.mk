# proto/: the control protocol shared by reliabd, reliabctl and the workers.
noinst_LIBRARIES += proto/libproto.a
proto_libproto_a_SOURCES = proto/proto.c proto/proto.h proto/frame.c proto/frame.h
proto_libproto_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
PROTO_LIBS = proto/libproto.a $(JANSSON_LIBS)

check_PROGRAMS += tests/unit/test_proto
TESTS += tests/unit/test_proto
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_proto_LDADD = $(PROTO_LIBS) $(CHECK_LIBS)
