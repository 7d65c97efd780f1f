/* The libmemcached kind's configuration: a memcached_st built from the
 * options, and libmemcached's return codes mapped to the loadgen's error
 * kinds. Apart from libmc.c's threads, so that tests read it alone. */
#include "libmc.h"

#include <string.h>

#include "log.h"

enum lg_err_kind
libmc_err_kind(memcached_return_t rc)
{
	switch (rc) {
	case MEMCACHED_TIMEOUT:
		return LG_ERR_TIMEOUT;
	/* Refused by libmemcached without a try: the server is in its retry
	 * timeout or past its failure limit. What an open breaker does. */
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_SERVER_MARKED_DEAD:
		return LG_ERR_CIRCUIT_OPEN;
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_CONNECTION_BIND_FAILURE:
	case MEMCACHED_HOST_LOOKUP_FAILURE:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_UNKNOWN_READ_FAILURE:
	case MEMCACHED_PARTIAL_READ:
	case MEMCACHED_ERRNO:
	case MEMCACHED_NO_SERVERS:
		return LG_ERR_CONNECTION;
	default:
		/* SERVER_ERROR, ERROR, CLIENT_ERROR, NOT_STORED, a protocol
		 * error...: the server answered, and not as asked. */
		return LG_ERR_SERVER;
	}
}

int
libmc_server_index(const struct lg_options *o, const memcached_instance_st *in)
{
	const char *host;
	in_port_t port;

	if (in == NULL)
		return -1;
	host = memcached_server_name(in);
	port = memcached_server_port(in);
	for (size_t i = 0; i < o->nservers; i++)
		if (o->servers[i].addr.port == port &&
		    strcmp(o->servers[i].addr.host, host) == 0)
			return (int)i;
	return -1;
}

struct behaviour {
	memcached_behavior_t b;
	uint64_t v;
	const char *name;
};

memcached_st *
libmc_create(const struct lg_options *o)
{
	memcached_st *mc = memcached_create(NULL);
	memcached_return_t rc;

	if (mc == NULL) {
		log_error("memcached_create: no memory");
		return NULL;
	}
	/* Added in the options' order: libmemcached's weighted ketama then
	 * puts every key where ketama.h (the resilient kind) does, so both
	 * kinds load the servers alike (test_libmc). */
	for (size_t i = 0; i < o->nservers; i++) {
		rc = memcached_server_add(mc, o->servers[i].addr.host,
		    o->servers[i].addr.port);
		if (rc != MEMCACHED_SUCCESS) {
			log_error("server %s: %s", o->servers[i].name,
			    memcached_strerror(mc, rc));
			memcached_free(mc);
			return NULL;
		}
	}
	const struct behaviour bs[] = {
		{ MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1, "ketama_weighted" },
		{ MEMCACHED_BEHAVIOR_TCP_NODELAY, 1, "tcp_nodelay" },
		{ MEMCACHED_BEHAVIOR_POLL_TIMEOUT, o->op_timeout_ms,
		    "poll_timeout" },
		{ MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, o->op_timeout_ms,
		    "connect_timeout" },
		{ MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT,
		    o->libmc.server_failure_limit, "server_failure_limit" },
		{ MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, o->libmc.retry_timeout_s,
		    "retry_timeout" },
		{ MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS,
		    o->libmc.remove_failed_servers, "remove_failed_servers" },
		{ MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, o->libmc.dead_timeout_s,
		    "dead_timeout" },
	};
	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
		rc = memcached_behavior_set(mc, bs[i].b, bs[i].v);
		if (rc != MEMCACHED_SUCCESS) {
			log_error("behaviour %s = %llu: %s", bs[i].name,
			    (unsigned long long)bs[i].v,
			    memcached_strerror(mc, rc));
			memcached_free(mc);
			return NULL;
		}
	}
	return mc;
}
