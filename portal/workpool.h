/*
 * A small pool of worker threads for slow work (Argon2id hashing), so
 * that the event loop never blocks.  The loop submits a job; a worker
 * runs work(arg); done(arg, 0) is then called back on the loop's
 * thread.  The number of jobs in flight (queued, running or waiting for
 * their done callback) is bounded: when it is reached, submit fails and
 * the caller answers 503.
 *
 * The loop's thread owns the pool: submit and free only from there.
 * work() must not touch libevent objects; done() may (it typically
 * calls http_request_done()).
 *
 * Workers run at a lower CPU priority than the loop (SCHED_BATCH, nice
 * + WORKPOOL_NICE), so that slow work never delays the loop's requests:
 * it gets the cycles the loops leave.
 */
#ifndef SEALPOST_WORKPOOL_H
#define SEALPOST_WORKPOOL_H

struct event_base;
struct workpool;

#define WORKPOOL_NICE	10	/* worker threads' nice above the process */

typedef void	(*workpool_work_fn)(void *arg);
/* cancelled is 1 when the pool was freed before the job ran. */
typedef void	(*workpool_done_fn)(void *arg, int cancelled);

/* nthreads >= 1, max_jobs >= 1.  NULL on failure. */
struct workpool	*workpool_new(struct event_base *base, unsigned nthreads,
		    unsigned max_jobs);

/*
 * Stops the workers after the jobs they are running, calls done() for
 * every job that had not completed (cancelled = 1 for those never run),
 * then frees.  Free the pool before whatever its done callbacks use
 * (the HTTP server).
 */
void		 workpool_free(struct workpool *pool);

/* 0, or -1 when max_jobs are in flight (or on no memory).  arg is
 * borrowed until done() has been called. */
int		 workpool_submit(struct workpool *pool, workpool_work_fn work,
		    workpool_done_fn done, void *arg)
		    __attribute__((warn_unused_result));

/* Jobs in flight now. */
unsigned	 workpool_inflight(const struct workpool *pool);

#endif
