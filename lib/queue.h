/* <sys/queue.h> plus what glibc's copy lacks. Include this, never
 * <sys/queue.h> directly, so the additions are defined once. */
#ifndef RELIABD_QUEUE_H
#define RELIABD_QUEUE_H

#include <sys/queue.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST(head);                                        \
	     (var) && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

#endif
