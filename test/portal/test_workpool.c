/*
 * The worker pool driven step by step on an event base: jobs run off the
 * loop, completions come back on it, the bound is enforced, freeing the
 * pool cancels what never ran, and workers run below the loop's
 * priority.
 */
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/event.h>

#include "portal_test.h"
#include "workpool.h"

struct job_state {
	pthread_t	 loop_thread;
	pthread_t	 ran_on;
	int		 ran;
	int		 done;
	int		 cancelled;
	int		 done_on_loop;
	unsigned	 sleep_ms;
};

static void
job_work(void *arg)
{
	struct job_state	*j = arg;

	j->ran_on = pthread_self();
	usleep(j->sleep_ms * 1000);
	j->ran = 1;
}

static void
job_done(void *arg, int cancelled)
{
	struct job_state	*j = arg;

	j->done++;
	j->cancelled = cancelled;
	j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
}

static void
run_until(struct event_base *base, struct job_state *jobs, size_t n,
    int timeout_ms)
{
	long long	deadline = pt_now_ms() + timeout_ms;
	size_t		i, done;

	for (;;) {
		for (done = 0, i = 0; i < n; i++)
			done += jobs[i].done;
		if (done == n || pt_now_ms() > deadline)
			return;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void
test_jobs_complete_on_loop(void **state)
{
	struct event_base	*base = event_base_new();
	struct workpool		*pool;
	struct job_state	 jobs[3];
	size_t			 i;
	long long		 t0;

	pool = workpool_new(base, 2, 3);
	assert_non_null(pool);
	memset(jobs, 0, sizeof(jobs));
	t0 = pt_now_ms();
	for (i = 0; i < 3; i++) {
		jobs[i].loop_thread = pthread_self();
		jobs[i].sleep_ms = 300;
		assert_int_equal(workpool_submit(pool, job_work, job_done,
		    &jobs[i]), 0);
	}
	/* Submitting returns at once: nothing ran on this thread. */
	assert_true(pt_now_ms() - t0 < 100);
	assert_int_equal(workpool_inflight(pool), 3);
	/* Full: the next one is refused (the caller answers 503). */
	assert_int_equal(workpool_submit(pool, job_work, job_done, &jobs[0]),
	    -1);
	run_until(base, jobs, 3, 5000);
	for (i = 0; i < 3; i++) {
		assert_int_equal(jobs[i].ran, 1);
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].cancelled, 0);
		assert_int_equal(jobs[i].done_on_loop, 1);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
	}
	/* Two threads, three 300 ms jobs: about 600 ms, not 900. */
	assert_true(pt_now_ms() - t0 < 850);
	assert_int_equal(workpool_inflight(pool), 0);
	/* Room again once the done callbacks ran. */
	jobs[0].done = 0;
	assert_int_equal(workpool_submit(pool, job_work, job_done, &jobs[0]),
	    0);
	run_until(base, jobs, 1, 5000);
	assert_int_equal(jobs[0].done, 1);
	workpool_free(pool);
	event_base_free(base);
}

/* The loop keeps running other events while a job sleeps. */
static int	ticks;

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	ticks++;
}

static void
test_loop_not_blocked(void **state)
{
	struct event_base	*base = event_base_new();
	struct workpool		*pool = workpool_new(base, 1, 1);
	struct event		*tick;
	struct timeval		 tv = { 0, 50 * 1000 };
	struct job_state	 job;

	memset(&job, 0, sizeof(job));
	job.loop_thread = pthread_self();
	job.sleep_ms = 500;
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
	ticks = 0;
	assert_int_equal(workpool_submit(pool, job_work, job_done, &job), 0);
	run_until(base, &job, 1, 5000);
	assert_int_equal(job.done, 1);
	assert_true(ticks >= 5);
	event_free(tick);
	workpool_free(pool);
	event_base_free(base);
}

static void
test_free_cancels(void **state)
{
	struct event_base	*base = event_base_new();
	struct workpool		*pool = workpool_new(base, 1, 4);
	struct job_state	 jobs[3];
	size_t			 i;

	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 3; i++) {
		jobs[i].loop_thread = pthread_self();
		jobs[i].sleep_ms = 200;
		assert_int_equal(workpool_submit(pool, job_work, job_done,
		    &jobs[i]), 0);
	}
	usleep(50 * 1000);	/* the first is running */
	workpool_free(pool);
	assert_int_equal(jobs[0].ran, 1);
	assert_int_equal(jobs[0].done, 1);
	assert_int_equal(jobs[0].cancelled, 0);
	for (i = 1; i < 3; i++) {
		assert_int_equal(jobs[i].ran, 0);
		assert_int_equal(jobs[i].done, 1);
		assert_int_equal(jobs[i].cancelled, 1);
	}
	workpool_free(NULL);
	assert_null(workpool_new(base, 0, 1));
	assert_null(workpool_new(base, 1, 0));
	event_base_free(base);
}

/* What a worker thread sees of its own scheduling. */
struct prio_state {
	int	policy;
	int	nice;
	int	done;
};

static void
prio_work(void *arg)
{
	struct prio_state	*ps = arg;

	ps->policy = sched_getscheduler(0);	/* this thread */
	errno = 0;
	ps->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (ps->nice == -1 && errno != 0)
		ps->nice = -100;
}

static void
prio_done(void *arg, int cancelled)
{
	((struct prio_state *)arg)->done = 1;
}

/* Workers yield to the loop: SCHED_BATCH and WORKPOOL_NICE nicer than
 * the loop's thread, which keeps its own priority. */
static void
test_workers_below_loop(void **state)
{
	struct event_base	*base = event_base_new();
	struct workpool		*pool = workpool_new(base, 2, 4);
	struct prio_state	 ps;
	long long		 deadline = pt_now_ms() + 5000;
	int			 loop_nice, want;

	errno = 0;
	loop_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	assert_int_equal(errno, 0);
	want = loop_nice + WORKPOOL_NICE > 19 ? 19 : loop_nice + WORKPOOL_NICE;
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(workpool_submit(pool, prio_work, prio_done, &ps), 0);
	while (!ps.done && pt_now_ms() < deadline) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(ps.done, 1);
	assert_int_equal(ps.policy, SCHED_BATCH);
	assert_int_equal(ps.nice, want);
	/* The loop's thread is untouched. */
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), loop_nice);
	workpool_free(pool);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs_complete_on_loop),
		cmocka_unit_test(test_loop_not_blocked),
		cmocka_unit_test(test_free_cancels),
		cmocka_unit_test(test_workers_below_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
