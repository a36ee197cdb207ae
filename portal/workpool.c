/*
 * Worker pool: a mutex-protected job queue, N threads, and a pipe that
 * wakes the event loop when jobs complete (independent of whether the
 * program called evthread_use_pthreads()).
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "workpool.h"

struct job {
	workpool_work_fn	 work;
	workpool_done_fn	 done;
	void			*arg;
	struct job		*next;
};

struct job_list {
	struct job	*head;
	struct job	*tail;
};

struct workpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct job_list	 todo;		/* under lock */
	struct job_list	 finished;	/* under lock */
	int		 stop;		/* under lock */
	unsigned	 inflight;	/* loop thread only */
	unsigned	 max_jobs;
	pthread_t	*threads;
	unsigned	 nthreads;
	int		 wake[2];	/* pipe: workers -> loop */
	struct event	*wake_ev;
};

static void
list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *
list_pop(struct job_list *l)
{
	struct job	*j = l->head;

	if (j != NULL) {
		l->head = j->next;
		if (l->head == NULL)
			l->tail = NULL;
	}
	return j;
}

/*
 * The calling worker thread yields to the event loop: SCHED_BATCH (no
 * wakeup preemption of others) and WORKPOOL_NICE steps nicer than the
 * process.  On Linux both apply to this thread only.  Without this, a
 * login storm's Argon2id hashes take every core and the loop's reads
 * wait hundreds of milliseconds for one; with it the hashes still get
 * every cycle the loop leaves, and a full queue still answers 503 at
 * once.  Best effort: a failure leaves the thread as it was.
 */
static void
worker_lower_priority(void)
{
	struct sched_param	sp = { .sched_priority = 0 };
	pid_t			tid = gettid();
	int			prio;

	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	errno = 0;
	prio = getpriority(PRIO_PROCESS, (id_t)tid);
	if (prio == -1 && errno != 0)
		return;
	prio = prio + WORKPOOL_NICE > 19 ? 19 : prio + WORKPOOL_NICE;
	(void)setpriority(PRIO_PROCESS, (id_t)tid, prio);
}

static void *
worker_main(void *arg)
{
	struct workpool	*pool = arg;
	struct job	*j;
	char		 c = 'j';
	int		 was_empty;

	worker_lower_priority();
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stop && pool->todo.head == NULL)
			pthread_cond_wait(&pool->cond, &pool->lock);
		if (pool->stop)
			break;
		j = list_pop(&pool->todo);
		pthread_mutex_unlock(&pool->lock);

		j->work(j->arg);

		pthread_mutex_lock(&pool->lock);
		was_empty = pool->finished.head == NULL;
		list_push(&pool->finished, j);
		/* One byte per batch keeps the pipe from filling up. */
		if (was_empty && write(pool->wake[1], &c, 1) == -1 &&
		    errno != EAGAIN)
			log_warn("workpool: wake");
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* On the loop: run the done callbacks of every finished job. */
static void
pool_collect(struct workpool *pool)
{
	struct job	*list, *j;
	char		 buf[64];

	while (read(pool->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&pool->lock);
	list = pool->finished.head;
	pool->finished.head = pool->finished.tail = NULL;
	pthread_mutex_unlock(&pool->lock);
	while ((j = list) != NULL) {
		list = j->next;
		pool->inflight--;
		j->done(j->arg, 0);
		free(j);
	}
}

static void
pool_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	pool_collect(arg);
}

struct workpool *
workpool_new(struct event_base *base, unsigned nthreads, unsigned max_jobs)
{
	struct workpool	*pool;
	unsigned	 i;

	if (nthreads == 0 || max_jobs == 0)
		return NULL;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	pool->wake[0] = pool->wake[1] = -1;
	pool->max_jobs = max_jobs;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	if (pipe2(pool->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		goto err;
	if ((pool->wake_ev = event_new(base, pool->wake[0],
	    EV_READ | EV_PERSIST, pool_wake_cb, pool)) == NULL ||
	    event_add(pool->wake_ev, NULL) == -1)
		goto err;
	if ((pool->threads = calloc(nthreads, sizeof(*pool->threads))) == NULL)
		goto err;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main,
		    pool) != 0)
			goto err;
		pool->nthreads++;
	}
	return pool;
err:
	workpool_free(pool);
	return NULL;
}

void
workpool_free(struct workpool *pool)
{
	struct job	*j;
	unsigned	 i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);

	if (pool->wake[0] != -1)
		pool_collect(pool);
	while ((j = list_pop(&pool->todo)) != NULL) {
		pool->inflight--;
		j->done(j->arg, 1);
		free(j);
	}
	if (pool->wake_ev != NULL)
		event_free(pool->wake_ev);
	if (pool->wake[0] != -1)
		close(pool->wake[0]);
	if (pool->wake[1] != -1)
		close(pool->wake[1]);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

int
workpool_submit(struct workpool *pool, workpool_work_fn work,
    workpool_done_fn done, void *arg)
{
	struct job	*j;

	if (pool->inflight >= pool->max_jobs)
		return -1;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&pool->lock);
	list_push(&pool->todo, j);
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	pool->inflight++;
	return 0;
}

unsigned
workpool_inflight(const struct workpool *pool)
{
	return pool->inflight;
}
