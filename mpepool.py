#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Multi-process execution pool for external programs with per-job and pool-wide constraints.

A faithful Python 3 reimplementation of PyExPool v3: jobs (external programs, or Python snippets run
through ``sys.executable -c``) run in parallel under timeouts, memory limits measured on their whole
process tree and CPU affinity chosen from the NUMA/cache topology, grouped into hierarchical tasks with
callbacks and a failure report.

Usage::

    from mpepool import ExecPool, Job, Task
    with ExecPool(2) as pool:
        task = Task('demo')
        pool.execute(Job('list', args=('ls', '-la'), task=task, timeout=10))
        pool.execute(Job('nap', args=('sleep', '1'), task=task))
        pool.join(60)

The event loop (all of it runs in the caller's thread, inside ``execute()`` and ``join()``)::

    reap the finished jobs (pidfd readable) -> drain the PIPE outputs -> enforce the deadlines
    (job/task/pool timeouts, TERM->KILL escalation) -> sample memory when due -> start what fits
    -> publish a snapshot for the Web UI -> wait for the next event (a child exit, piped output,
    a wake-up or the nearest deadline) in one ``select()``; never a sleeping poll.

Optional dependencies: ``psutil`` (memory measurement and balancing) and ``bottle`` (the Web UI in
``mpewui``); both are imported lazily or with a ``None`` fallback, and importing this module prints
nothing and runs no external program.
"""
__all__ = ['Job', 'Task', 'ExecPool', 'AffinityMask', 'JobInfo', 'TaskInfo', 'ramfracs',
           'cpucorethreads', 'cpunodes', 'cpusequential', 'inBytes', 'inGigabytes', 'secondsToHms',
           'timeheader', 'tblfmt', 'applyCallback', 'infodata', 'infoheader', 'propslist',
           'TaskInfoExt', 'tasksInfoExt', 'printDepthFirst', 'TaskInfoPrefmt', 'unfoldDepthFirst',
           'installTerminationHandlers', 'wallclock']
__version__ = '3.3.0'

import collections
import errno
import heapq
import importlib.util
import itertools
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
import weakref
from math import sqrt
from multiprocessing import cpu_count

try:
    import psutil
except ImportError:  # Memory measurement and balancing are off without it (said once per pool)
    psutil = None

# === Tunables ==========================================================================================
# Module-level knobs of the original, kept with their names; tests patch them with mock.patch.object.

# Measure the memory of the jobs and balance the workers under memory limits; needs psutil
_LIMIT_WORKERS_RAM = psutil is not None
# Terminate (or cancel) the heavier jobs of the same category when a job violates its timeout or memory
_CHAINED_CONSTRAINTS = True
# The Web UI (mpewui) can be served: bottle is importable; checked without importing it
_WEBUI = importlib.util.find_spec('bottle') is not None
# Physical RAM in GB and the part of it the pool may target (2% + 256 MB are left to the OS)
_RAM_SIZE = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024.**3
_RAM_LIMIT = _RAM_SIZE * 0.98 - 0.25
# Kept for compatibility: the original pinned jobs through this binary; this module pins them itself
_AFFINITYBIN = 'taskset'
# Tracing level: 0/False none, 1 brief, 2 detailed, 3 in-cycle; truthy also sends info messages to stderr
_DEBUG_TRACE = False

# === Small helpers: time, units, formatting, callbacks =================================================


def timeheader(timestamp=None):
	"""A timestamp header line for logs: '# ----- 2024-01-31 12:00:00 -----...'

	timestamp: time.struct_time  - the time to show, now (UTC) by default
	"""
	if timestamp is None:
		timestamp = time.gmtime()
	elif not isinstance(timestamp, time.struct_time):
		raise TypeError('timestamp must be a time.struct_time, not {!r}'.format(timestamp))
	return time.strftime('# ----- %Y-%m-%d %H:%M:%S ' + '-' * 30, timestamp)


def secondsToHms(seconds):
	"""Split seconds into (hours: int, minutes: int, seconds: float), e.g. 3725.5 -> (1, 2, 5.5)"""
	if seconds < 0:
		raise ValueError('seconds must be >= 0, not {!r}'.format(seconds))
	hours = int(seconds // 3600)
	mins = int((seconds - hours * 3600) // 60)
	return hours, mins, seconds - hours * 3600 - mins * 60


def inGigabytes(nbytes):
	"""Bytes to GB (GiB)"""
	return nbytes / 1024.**3


def inBytes(gb):
	"""GB (GiB) to bytes, a float"""
	return gb * 1024.**3


def ramfracs(fracsize):
	"""How many fractions of fracsize GB fit into the physical RAM, e.g. to size a pool by RAM"""
	if not fracsize > 0:
		raise ValueError('fracsize must be a positive number of GB, not {!r}'.format(fracsize))
	return int(_RAM_SIZE / fracsize)


# perf_counter() and time() read together once: turns the pool's perf_counter stamps into wall-clock times
_CLOCK_ORIGIN = time.time() - time.perf_counter()


def wallclock(tperf):
	"""The wall-clock (epoch) time of a time.perf_counter() reading such as Job.tstart, None stays None"""
	return None if tperf is None else _CLOCK_ORIGIN + tperf


def tblfmt(v, strpad=0):
	"""A table cell: floats with 3 decimals, None as '-', other values as str, right-justified to strpad"""
	if isinstance(v, float):
		return '{:.3f}'.format(v)
	if v is None:
		v = '-'
	elif isinstance(v, bool):
		v = str(int(v))
	elif not isinstance(v, str):
		v = str(v)
	return v.rjust(strpad)


def _infomsg(*args):
	"""An informational console message: stdout, or stderr when tracing"""
	print(*args, file=sys.stderr if _DEBUG_TRACE else sys.stdout)


def _warnmsg(*args):
	"""A warning or error message: always stderr"""
	print(*args, file=sys.stderr)


def applyCallback(callback, owner):
	"""Call callback() and report (not raise) an Exception it raises, naming the callback and its owner

	return  - True when the callback succeeded, False when it raised
	"""
	try:
		callback()
	except Exception as err:  # A user callback never takes the pool down
		_warnmsg('ERROR in the {} callback of "{}": {}. {}'.format(getattr(callback, '__name__', callback)
			, owner, err, ''.join(traceback.format_exc(5))))
		return False
	return True


def _bindCallback(callback, owner, pname):
	"""Bind a user callback to its owner, so that it is called with the owner as its only argument"""
	if callback is None:
		return None
	if not callable(callback):
		raise TypeError('{} must be callable or None, not {!r}'.format(pname, callback))
	return types.MethodType(callback, owner)

# === CPU topology ======================================================================================
# Computed from /sys/devices/system/{cpu,node} and the CPUs this process may use; no external programs.


def cpucorethreads():
	"""The number of hardware threads per CPU core"""
	return 1  # TODO(affinity issue): sysfs topology


def cpunodes():
	"""The number of NUMA nodes with CPUs"""
	return 1  # TODO(affinity issue): sysfs topology


def cpusequential(ncpunodes=None):
	"""Whether the logical CPUs are enumerated sequentially (a core's threads adjacent) rather than across nodes"""
	return True  # TODO(affinity issue): sysfs topology


class AffinityMask(object):
	"""CPU groups for the worker slots of a pool (see the affinity issue)"""
	CPUS = len(os.sched_getaffinity(0))
	NODES = 1
	CORE_THREADS = 1
	CORES = CPUS
	NODE_CPUS = CPUS
	SEQUENTIAL = True

	def __init__(self, afnstep, first=True, sequential=None):
		self.afnstep = int(afnstep)
		self.first = first
		self.sequential = sequential

	def cpus(self, i):
		"""The set of logical CPUs of worker slot i"""
		return {i * self.afnstep} if self.first else set(range(i * self.afnstep, (i + 1) * self.afnstep))

	def __call__(self, i):
		"""The CPU list of worker slot i as a string for `taskset -c`, e.g. '0-1,16-17'"""
		return ','.join(str(c) for c in sorted(self.cpus(i)))

# === Reporting data model: snapshots of jobs and tasks for the failure report and the Web UI ==========
# (JobInfo, TaskInfo, infodata, tasksInfoExt, ... ; see SPEC §1.5) -- written with the core

# === Task ==============================================================================================


class Task(object):
	"""A group of jobs and subtasks (core issue)"""

# === Job ===============================================================================================


class Job(object):
	"""An external program to run in the pool (core issue)"""

# === ExecPool ==========================================================================================


class ExecPool(object):
	"""The execution pool (core issue)"""

# === Web UI snapshots ==================================================================================
# What the pool publishes for mpewui (Web UI issue)

# === Command line ======================================================================================
# `mpepool` / `python -m mpepool` (command-line issue)
#
# Data flow: argv -> _cliParse() (argparse; any error -> _CliError -> one line on stderr, exit 255, nothing
# run) -> _cliInputs() (lines of the files or stdin, commands or template arguments; {seq: command}) ->
# the job log of a previous run filters them (--resume / --resume-failed) -> _CliRun feeds the pool one job
# per free slot from onfinish, prints each job's grouped output, appends one log line per finished job
# (a single write(2) on an O_APPEND descriptor, so a kill leaves only whole lines), counts the failures
# for the exit status and the halt policy, and draws the progress bar.

# GNU parallel's job log columns, in its order (`parallel --joblog`), then ours
_JOBLOG_GNU = ('Seq', 'Host', 'Starttime', 'JobRuntime', 'Send', 'Receive', 'Exitval', 'Signal', 'Command')
_JOBLOG_OURS = ('RssmaxMB', 'Utime', 'Stime', 'Reason')
_JOBLOG_HEADER = '\t'.join(_JOBLOG_GNU + _JOBLOG_OURS)
# Job reasons that mean the run was interrupted by the pool itself (a signal, a halt): such jobs have no
# verdict, are not logged and run again on --resume
_CLI_UNFINISHED = frozenset(('pool termination', 'pool timeout', 'canceled'))
# Exit statuses as GNU parallel: the number of failed jobs up to _CLI_FAILMAX, _CLI_FAILMAX + 1 above it,
# _CLI_EUSAGE on an error of use
_CLI_FAILMAX = 100
_CLI_EUSAGE = 255
# Units of the memory sizes on the command line; a bare number is in GB
_CLI_SIZEUNITS = {'': 1., 'K': 1. / 1024**2, 'M': 1. / 1024, 'G': 1., 'T': 1024.}


class _CliError(Exception):
	"""An error of use of the command line: reported as one line, exit status 255, nothing run"""


def _cliNumber(pname, val, kind=float, minval=0, strict=False):
	"""A number of an option, checked: kind(val) >= minval (> minval if strict), else _CliError naming pname"""
	try:
		num = kind(val)
	except (TypeError, ValueError):
		raise _CliError('{} must be a{} number, not {!r}'.format(pname, 'n integer' if kind is int else ''
			, val)) from None
	if num != num or num < minval or (strict and num == minval):  # num != num: NaN
		raise _CliError('{} must be {} {}, not {!r}'.format(pname, '>' if strict else '>=', minval, val))
	return num


def _cliSize(pname, val):
	"""A memory size of an option in GB: a number of GB or a number with a K, M, G or T suffix (binary units)"""
	txt = val.strip()
	unit = txt[-1:].upper() if txt[-1:].isalpha() else ''
	if unit.endswith('B') and len(txt) >= 2 and txt[-2:-1].isalpha():  # 512MB, 2GB
		unit = txt[-2:-1].upper()
		txt = txt[:-1]
	if unit not in _CLI_SIZEUNITS:
		raise _CliError('{} must be a size such as 1.5 (GB), 512M or 2G, not {!r}'.format(pname, val))
	return _cliNumber(pname, txt[:len(txt) - len(unit)] if unit else txt, float) * _CLI_SIZEUNITS[unit]


def _cliHalt(val):
	"""The halt policy (when, count, percent) from 'never', 'now,fail=N', 'soon,fail=N', '...fail=P%' or N

	when: 'now' kills the running jobs, 'soon' lets them finish; both start nothing more.
	A bare N means 'now,fail=N'. Returns None for 'never'.
	"""
	txt = val.strip().lower()
	if txt in ('never', '0'):
		return None
	when, _, cond = txt.rpartition(',')
	if when not in ('', 'now', 'soon') or (when and not cond.startswith('fail=')):
		raise _CliError("--halt must be 'never', N, 'now,fail=N', 'soon,fail=N' or '...fail=P%', not {!r}"
			.format(val))
	cond = cond[len('fail='):] if cond.startswith('fail=') else cond
	if cond.endswith('%'):
		pct = _cliNumber('--halt percent', cond[:-1], float, 0, strict=True)
		if pct > 100:
			raise _CliError('--halt percent must be <= 100, not {!r}'.format(val))
		return (when or 'now', None, pct)
	return (when or 'now', _cliNumber('--halt fail count', cond, int, 0, strict=True), None)


def _cliHostPort(val):
	"""(host, port) of a 'HOST:PORT' or ':PORT' (localhost) option value"""
	host, sep, port = val.rpartition(':')
	if not sep:
		host, port = '', val
	port = _cliNumber('--webui port', port, int, 0, strict=True)
	if port > 65535:
		raise _CliError('--webui port must be <= 65535, not {!r}'.format(val))
	return host.strip('[]') or 'localhost', port


def _cliParser():
	"""The argparse parser of the command line; its errors raise _CliError instead of exiting with 2"""
	import argparse

	class Parser(argparse.ArgumentParser):
		"""An ArgumentParser that reports errors of use through _CliError"""
		def error(self, message):
			raise _CliError(message)

	parser = Parser(prog='mpepool', formatter_class=argparse.RawDescriptionHelpFormatter
		, description='Run shell commands in parallel under timeouts, memory limits and CPU affinity.'
		, epilog='Examples:\n  mpepool -j4 --joblog run.log cmds.txt\n'
		'  ls *.txt | mpepool --timeout 60 -- gzip -9 {}\n'
		'  mpepool --results out -- ./simulate --seed {} ::: 1 2 3 4\n'
		'  mpepool --demo\n'
		'Commands run as /bin/sh -c COMMAND. Exit status: 0 all succeeded, 1-100 the number of failed jobs,'
		' 101 more,\n130/143 interrupted by SIGINT/SIGTERM, 255 an error of use.')
	add = parser.add_argument
	add('files', nargs='*', metavar='FILE', help='files of input lines (commands, or arguments of the'
		' template given after --); standard input when none or -')
	add('-a', '--arg-file', action='append', default=[], metavar='FILE', help='a file of input lines'
		' (repeatable), as FILE')
	add('-j', '--jobs', metavar='N', default=None, help='the number of jobs run at once'
		' (default: the number of CPUs)')
	add('--timeout', metavar='SECS', default='0', help='the time limit of each job in seconds (0: none)')
	add('--restart-timeout', '--rsrtonto', action='store_true', help='restart a job that exceeded'
		' --timeout instead of failing it')
	add('--retries', metavar='N', default='1', help='run a failed job up to N times in total (GNU'
		' parallel\'s meaning); the log keeps the last attempt')
	add('--memlim', metavar='SIZE', default='0', help='the memory limit of each job (its process tree),'
		' e.g. 2G, 512M; a bare number is in GB (0: none)')
	add('--memlimit', metavar='SIZE', default='0', help='the memory limit of all running jobs together;'
		' larger jobs are postponed (0: none)')
	add('--afnstep', metavar='N', default='0', help='pin each job to N logical CPUs (CPU affinity step;'
		' 0: no pinning)')
	add('--workdir', '--wd', metavar='DIR', default=None, help='the working directory of the jobs')
	add('--results', metavar='DIR', default=None, help='write the output of job SEQ to DIR/SEQ/stdout'
		' and DIR/SEQ/stderr instead of the console')
	add('-u', '--ungroup', action='store_true', help='let jobs write to the console directly (the'
		' default groups each job\'s output and prints it when the job finishes)')
	add('--joblog', metavar='FILE', default=None, help='log each finished job on a tab-separated line')
	add('--resume', action='store_true', help='skip the jobs that the --joblog shows finished')
	add('--resume-failed', action='store_true', help='skip the jobs that the --joblog shows succeeded;'
		' run again the failed ones')
	add('--halt', metavar='WHEN', default='never', help="stop after failures: 'now,fail=N' kills the"
		" running jobs, 'soon,fail=N' lets them finish; N%% of the jobs instead of N; N alone is now,fail=N")
	add('--bar', action='store_true', help='show a progress bar with the estimated time left on the'
		' terminal (nothing when standard error is not a terminal)')
	add('--webui', metavar='HOST:PORT', default=None, help='serve the Web UI on HOST:PORT (needs bottle)')
	add('-v', '--verbose', action='store_true', help='show the pool\'s messages (job starts and'
		' completions) on standard error')
	add('--demo', action='store_true', help='run a built-in demonstration batch and print a summary')
	add('--version', action='version', version='mpepool ' + __version__)
	return parser


def _cliParse(argv):
	"""Options of the command line as an argparse.Namespace with checked values; raises _CliError

	argv: list(str)  - the arguments without the program name; words after the first '--' are the command
		template (ns.template, a list, empty when no '--'); inside it, the words after ':::' are input lines
	"""
	argv = list(argv)
	template = []
	if '--' in argv:
		i = argv.index('--')
		argv, template = argv[:i], argv[i + 1:]
		if not template:
			raise _CliError('no command template after --')
	ns = _cliParser().parse_args(argv)
	ns.template = template
	ns.inline = None  # Input lines given after ::: in the template
	if ':::' in template:
		i = template.index(':::')
		ns.template, ns.inline = template[:i], template[i + 1:]
		if not ns.template:
			raise _CliError('no command before :::')
	if ns.jobs is None:
		ns.jobs = max(len(os.sched_getaffinity(0)), 1)
	else:
		ns.jobs = _cliNumber('-j/--jobs', ns.jobs, int, 1)
	ns.timeout = _cliNumber('--timeout', ns.timeout)
	ns.retries = max(_cliNumber('--retries', ns.retries, int), 1)
	ns.memlim = _cliSize('--memlim', ns.memlim)
	ns.memlimit = _cliSize('--memlimit', ns.memlimit)
	ns.afnstep = _cliNumber('--afnstep', ns.afnstep, int)
	ns.halt = _cliHalt(ns.halt)
	if ns.webui is not None:
		ns.webui = _cliHostPort(ns.webui)
	if (ns.resume or ns.resume_failed) and not ns.joblog:
		raise _CliError('--resume and --resume-failed need --joblog FILE')
	if ns.resume and ns.resume_failed:
		raise _CliError('--resume and --resume-failed exclude each other')
	if ns.workdir is not None and not os.path.isdir(ns.workdir):
		raise _CliError('--workdir is not a directory: {!r}'.format(ns.workdir))
	if ns.demo and (ns.files or ns.arg_file or ns.template):
		raise _CliError('--demo takes no input files and no command')
	return ns


def _cliReadLines(path, stdin=None):
	"""The lines of a file ('-' standard input) without their line ends; _CliError if it cannot be read

	Lines are decoded as UTF-8 with surrogateescape, so that any byte reaches /bin/sh unchanged.
	"""
	try:
		if path == '-':
			data = (stdin if stdin is not None else sys.stdin.buffer).read()
		else:
			with open(path, 'rb') as finp:
				data = finp.read()
	except OSError as err:
		raise _CliError('cannot read the input file {!r}: {}'.format(path, err.strerror or err)) from None
	lines = data.decode('utf-8', 'surrogateescape').split('\n')
	if lines and not lines[-1]:  # The terminating newline is not an empty last line
		lines.pop()
	return [ln[:-1] if ln.endswith('\r') else ln for ln in lines]


def _cliFill(template, arg, seq):
	"""The command of one job: the template with GNU parallel's replacement strings filled from arg

	{} the argument, {.} without its extension, {/} its basename, {//} its dirname, {/.} the basename
	without extension, {#} the job's sequence number. The argument values are shell-quoted; a template
	without any replacement string gets ' {}' appended, as in GNU parallel.
	"""
	import shlex
	base = os.path.basename(arg)
	values = {'{}': arg, '{.}': os.path.splitext(arg)[0], '{/}': base, '{//}': os.path.dirname(arg) or '.'
		, '{/.}': os.path.splitext(base)[0]}
	res = []
	i = 0
	n = len(template)
	while i < n:
		j = template.find('{', i)
		if j < 0:
			res.append(template[i:])
			break
		res.append(template[i:j])
		k = template.find('}', j)
		key = template[j:k + 1] if k >= 0 else ''
		if key == '{#}':
			res.append(str(seq))
		elif key in values:
			res.append(shlex.quote(values[key]))
		else:  # A literal brace, e.g. awk '{print}' or ${HOME}
			res.append('{')
			k = j
		i = k + 1
	return ''.join(res)


def _cliHasPlaceholder(template):
	"""Whether the template contains a replacement string"""
	return any(key in template for key in ('{}', '{.}', '{/}', '{//}', '{/.}', '{#}'))


def _cliInputs(ns, stdin=None):
	"""The commands to run: a list of (seq, command), seq numbered from 1 in input order; _CliError on bad input

	Without a template each non-blank input line is a command; with a template (the words after --,
	joined by spaces) each input line, blank ones included, is an argument that fills it.
	"""
	if ns.inline is not None:
		lines = list(ns.inline)
	else:
		paths = list(ns.arg_file) + list(ns.files) or ['-']
		if paths.count('-') > 1:
			raise _CliError('standard input (-) is given more than once')
		for path in paths:  # Every file is checked before any is read: nothing runs on a bad one
			if path != '-' and not os.access(path, os.R_OK):
				raise _CliError('cannot read the input file {!r}: {}'.format(path, 'no such file'
					if not os.path.exists(path) else 'permission denied'))
		lines = []
		for path in paths:
			lines.extend(_cliReadLines(path, stdin))
	if not ns.template:
		return list(enumerate((ln for ln in lines if ln.strip()), 1))
	template = ' '.join(ns.template)
	if not _cliHasPlaceholder(template):
		template += ' {}'
	return [(seq, _cliFill(template, arg, seq)) for seq, arg in enumerate(lines, 1)]


def _cliLogRecord(line):
	"""A parsed job log line: (seq, exitval, signal, command); ValueError naming the bad field

	The GNU columns are split from the left and ours from the right, so a command may contain tabs.
	"""
	cols = line.split('\t', len(_JOBLOG_GNU) - 1)
	if len(cols) < len(_JOBLOG_GNU):
		raise ValueError('{} columns instead of at least {}'.format(len(cols), len(_JOBLOG_GNU)))
	fields = {}
	for name, kind in (('Seq', int), ('Starttime', float), ('JobRuntime', float), ('Send', int)
	, ('Receive', int), ('Exitval', int), ('Signal', int)):
		val = cols[_JOBLOG_GNU.index(name)]
		try:
			fields[name] = kind(val.strip())
		except ValueError:
			raise ValueError('{} is not a number: {!r}'.format(name, val)) from None
	if fields['Seq'] < 1:
		raise ValueError('Seq must be >= 1: {!r}'.format(fields['Seq']))
	return fields['Seq'], fields['Exitval'], fields['Signal'], cols[-1]


def _cliReadJoblog(path):
	"""The verdicts of a job log: {seq: succeeded (bool)} from the last line of each seq; _CliError if malformed

	A missing or empty log is an empty dict (nothing ran yet). Logs of GNU parallel are read as well.
	"""
	try:
		with open(path, 'rb') as flog:
			data = flog.read()
	except FileNotFoundError:
		return {}
	except OSError as err:
		raise _CliError('cannot read the job log {!r}: {}'.format(path, err.strerror or err)) from None
	if not data:
		return {}
	lines = data.decode('utf-8', 'surrogateescape').split('\n')
	if lines[-1]:
		raise _CliError('malformed job log {!r}: line {} is not terminated (a partial line)'
			.format(path, len(lines)))
	lines.pop()
	header = lines[0].split('\t')
	if tuple(header[:len(_JOBLOG_GNU)]) != _JOBLOG_GNU:
		raise _CliError('malformed job log {!r}: line 1 is not the header {!r}'
			.format(path, '\t'.join(_JOBLOG_GNU)))
	verdicts = {}
	for iln, line in enumerate(lines[1:], 2):
		try:
			seq, exitval, sig, _ = _cliLogRecord(line)
		except ValueError as err:
			raise _CliError('malformed job log {!r}: line {}: {}'.format(path, iln, err)) from None
		verdicts[seq] = exitval == 0 and sig == 0
	return verdicts


def _cliLogLine(seq, tstart, runtime, receive, exitval, sig, command, rssmax, utime, stime, reason):
	"""One job log line (with its newline) in GNU parallel's formats, then ours

	tstart: epoch seconds; runtime, utime, stime: seconds; receive: bytes of standard output;
	rssmax: GB (logged in MB); reason: why the pool stopped the job or None.
	"""
	return '{}\t:\t{:.3f}\t{:10.3f}\t0\t{}\t{}\t{}\t{}\t{:.3f}\t{:.3f}\t{:.3f}\t{}\n'.format(seq, tstart
		, runtime, receive, exitval, sig, command, (rssmax or 0.) * 1024, utime or 0., stime or 0.
		, reason or '-')


def _cliExitval(job):
	"""(Exitval, Signal) of a finished job as GNU parallel logs them

	A process that exited: (code, 0); killed by a signal of its own: (0, signal); stopped by the pool
	(timeout, memory limit, ...) or never started: (-1, the signal that ended it or 0).
	"""
	proc = getattr(job, 'proc', None)
	code = proc.returncode if proc is not None else None
	if job.reason is not None or code is None:
		return -1, -code if code is not None and code < 0 else 0
	return (0, -code) if code < 0 else (code, 0)


class _CliProgress(object):
	"""A progress line on a terminal: done/total, failures, running jobs, elapsed time and the time left

	It is redrawn by a helper thread a few times a second (so the estimate moves while long jobs run) and
	erased around the jobs' output, which the caller writes through output().
	"""
	PERIOD = 0.25  # Seconds between redraws

	def __init__(self, run, stream):
		self.run = run  # _CliRun: the counters shown
		self.stream = stream  # The terminal (a text stream), standard error
		self.lock = threading.Lock()  # Serializes the drawing and the jobs' output
		self.shown = False  # A progress line is on the screen
		self.stopped = threading.Event()
		self.thread = threading.Thread(target=self._loop, name='mpepool-progress', daemon=True)

	def start(self):
		"""Start redrawing"""
		self.thread.start()

	def _loop(self):
		"""The redrawing thread"""
		while not self.stopped.wait(self.PERIOD):
			self.draw()

	def line(self, width):
		"""The progress line fitted into width characters"""
		run = self.run
		total = max(run.total, 1)
		finished = run.done + run.failed
		elapsed = time.perf_counter() - run.tstart
		if finished and finished < run.total:
			eta = '{:d}:{:02d}:{:02.0f}'.format(*[int(v) for v in secondsToHms(elapsed / finished
				* (run.total - finished))])
		else:
			eta = '-' if finished < run.total else '0:00:00'
		tail = ' {}% {}/{} failed {} running {} ETA {}'.format(int(100 * finished / total), finished
			, run.total, run.failed, run.inflight, eta)
		barw = max(width - len(tail) - 3, 0)
		if barw < 10:
			return tail.strip()[:max(width - 1, 0)]
		full = barw * finished // total
		return '[' + '#' * full + '.' * (barw - full) + ']' + tail

	def draw(self, final=False):
		"""(Re)draw the progress line; the final one stays on the screen"""
		try:
			width = os.get_terminal_size(self.stream.fileno()).columns
		except (OSError, ValueError):
			width = 80
		with self.lock:
			try:
				self.stream.write('\r' + self.line(width) + ('\x1b[K\n' if final else '\x1b[K'))
				self.stream.flush()
				self.shown = not final
			except (OSError, ValueError):  # The terminal is gone (hangup): the jobs go on
				pass

	def output(self, write):
		"""Call write() (the jobs' output) with the progress line erased, and draw it again after"""
		with self.lock:
			if self.shown:
				try:
					self.stream.write('\r\x1b[K')
					self.stream.flush()
				except (OSError, ValueError):
					pass
				self.shown = False
			write()

	def stop(self):
		"""Stop redrawing and leave the final line on the screen"""
		self.stopped.set()
		if self.thread.is_alive():
			self.thread.join()
		self.draw(final=True)


class _CliJob(object):
	"""What the command line keeps about one input command across its attempts (Job.params)"""
	__slots__ = ('seq', 'command', 'attempt', 'outfd', 'errfd')

	def __init__(self, seq, command):
		self.seq = seq  # int: the sequence number of the input line, from 1
		self.command = command  # str: the shell command
		self.attempt = 0  # int: attempts started (--retries)
		self.outfd = None  # int: the descriptor of the job's standard output (a temporary or results file)
		self.errfd = None  # int: the same for standard error


class _CliInterrupt(BaseException):
	"""Raised by the SIGINT/SIGTERM handler of the command line to leave the pool's join()"""

	def __init__(self, signum):
		super().__init__(signum)
		self.signum = signum


class _CliRun(object):
	"""One run of the command line over a list of commands

	The pool gets one job per free worker slot: the next job is given to it from the onfinish callback of
	a finished one (callbacks run in this thread, inside join()), so that no queue of unstarted jobs
	exists (a halt starts nothing more), output descriptors are opened only for running jobs, and 100,000
	input lines cost no more than a few.
	"""

	def __init__(self, ns, commands, joblog_truncate=True):
		self.ns = ns  # argparse.Namespace: the checked options
		self.pending = collections.deque(_CliJob(seq, cmd) for seq, cmd in commands)  # Not given yet
		self.total = len(self.pending)  # int: jobs to run in this run
		self.inflight = 0  # int: jobs given to the pool and not finished
		self.done = 0  # int: jobs that succeeded
		self.failed = 0  # int: jobs that failed (their last attempt)
		self.unfinished = 0  # int: jobs stopped by the pool's termination (signal, halt now): not logged
		self.stopping = None  # None, or why nothing more starts: 'halt' or 'signal'
		self.signum = None  # int: the signal that stopped the run
		self.pool = None  # ExecPool
		self.progress = None  # _CliProgress on a terminal with --bar
		self.tstart = time.perf_counter()
		self._feeding = False  # feed() is running (a start failure calls onfinish inside execute())
		self._outbroken = False  # Our standard output is a closed pipe: job outputs are dropped
		self._tmpdir = os.environ.get('TMPDIR') or '/tmp'
		self.logfd = None
		if ns.joblog:
			flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
			if joblog_truncate:
				flags |= os.O_TRUNC
			try:
				self.logfd = os.open(ns.joblog, flags, 0o644)
				if os.fstat(self.logfd).st_size == 0:
					os.write(self.logfd, (_JOBLOG_HEADER + '\n').encode())
			except OSError as err:
				if self.logfd is not None:
					os.close(self.logfd)
				raise _CliError('cannot write the job log {!r}: {}'.format(ns.joblog, err.strerror or err)
					) from None

	# --- Output descriptors of a job -------------------------------------------------------------------
	def _tmpfd(self):
		"""A descriptor of an anonymous temporary file (deleted when closed)"""
		try:
			return os.open(self._tmpdir, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
		except (OSError, AttributeError):  # No O_TMPFILE here (old kernel, some file systems)
			import tempfile
			fd, path = tempfile.mkstemp(prefix='mpepool.', dir=self._tmpdir)
			os.unlink(path)
			return fd

	def _openOutputs(self, rec):
		"""Open the descriptors the job writes its output to: results files, temporary files or none"""
		if self.ns.results:
			jdir = os.path.join(self.ns.results, str(rec.seq))
			os.makedirs(jdir, exist_ok=True)
			flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
			rec.outfd = os.open(os.path.join(jdir, 'stdout'), flags, 0o644)
			rec.errfd = os.open(os.path.join(jdir, 'stderr'), flags, 0o644)
		elif not self.ns.ungroup:
			rec.outfd = self._tmpfd()
			rec.errfd = self._tmpfd()

	@staticmethod
	def _closeOutputs(rec):
		"""Close the job's output descriptors"""
		for fd in (rec.outfd, rec.errfd):
			if fd is not None:
				os.close(fd)
		rec.outfd = rec.errfd = None

	def _copyOut(self, fd, stream):
		"""Copy the temporary output file fd to stream (standard output or error)"""
		size = os.fstat(fd).st_size
		if not size or (self._outbroken and stream is sys.stdout):
			return
		try:
			stream.flush()
			ofd = stream.fileno()
			pos = 0
			while pos < size:
				chunk = os.pread(fd, min(size - pos, 1 << 20), pos)
				if not chunk:
					break
				pos += len(chunk)
				view = memoryview(chunk)
				while view:
					view = view[os.write(ofd, view):]
		except BrokenPipeError:  # The reader of our output left (e.g. `| head`): the jobs go on
			if stream is sys.stdout:
				self._outbroken = True
		except (OSError, ValueError) as err:
			_warnmsg('mpepool: cannot write the output of a job: {}'.format(err))

	def _printOutputs(self, rec):
		"""Print the grouped output of a finished job"""
		if rec.outfd is None or self.ns.results:
			return

		def write():
			self._copyOut(rec.outfd, sys.stdout)
			self._copyOut(rec.errfd, sys.stderr)
		if self.progress:
			self.progress.output(write)
		else:
			write()

	# --- Feeding the pool ------------------------------------------------------------------------------
	def _onstart(self, job):
		"""Job.onstart: a restart after a timeout (--restart-timeout) starts the output afresh"""
		rec = job.params
		if job.tstop is not None or getattr(job, 'wtime', None):  # Not the first start of this Job
			for fd in (rec.outfd, rec.errfd):
				if fd is not None:
					os.ftruncate(fd, 0)
					os.lseek(fd, 0, os.SEEK_SET)

	def _execute(self, rec):
		"""Give one attempt of rec to the pool"""
		rec.attempt += 1
		ns = self.ns
		try:
			self._openOutputs(rec)
		except OSError as err:
			self._closeOutputs(rec)
			raise _CliError('cannot open the output files of job {}: {}'.format(rec.seq, err)) from None
		kwargs = {}
		if rec.outfd is not None:
			kwargs['stdout'] = rec.outfd
			kwargs['stderr'] = rec.errfd
		name = '{} {}'.format(rec.seq, rec.command if len(rec.command) <= 48 else rec.command[:45] + '...')
		job = Job(name, workdir=ns.workdir, args=('/bin/sh', '-c', rec.command), timeout=ns.timeout
			, rsrtonto=ns.restart_timeout, params=rec, memlim=ns.memlim, onstart=self._onstart
			, onfinish=self._onfinish, **kwargs)
		self.inflight += 1
		self.pool.execute(job)

	def feed(self):
		"""Give the pool jobs while it has free worker slots and nothing stops the run"""
		if self._feeding:  # Reentered from onfinish inside execute(): the outer loop goes on
			return
		self._feeding = True
		try:
			while self.pending and not self.stopping and self.inflight < self.ns.jobs:
				self._execute(self.pending.popleft())
		finally:
			self._feeding = False

	def _onfinish(self, job):
		"""Job.onfinish: retry, or print, log and count the job, check the halt policy, feed the pool"""
		rec = job.params
		self.inflight -= 1
		proc = getattr(job, 'proc', None)
		if job.reason in _CLI_UNFINISHED or (self.stopping == 'signal' and job.reason is not None):
			self.unfinished += 1  # Interrupted by us: no verdict, --resume runs it again
			self._closeOutputs(rec)
			return
		ok = job.reason is None and proc is not None and proc.returncode == 0
		if not ok and rec.attempt < self.ns.retries and not self.stopping:
			self._closeOutputs(rec)
			self.pending.appendleft(rec)  # Retried first, at the next free slot
			self.feed()
			return
		receive = 0
		if rec.outfd is not None:
			receive = os.fstat(rec.outfd).st_size
			self._printOutputs(rec)
		self._closeOutputs(rec)
		if ok:
			self.done += 1
		else:
			self.failed += 1
		if self.logfd is not None:
			exitval, sig = _cliExitval(job)
			tstart = wallclock(job.tstart) if job.tstart is not None else time.time()
			runtime = getattr(job, 'wtime', None)
			if runtime is None:
				runtime = job.tstop - job.tstart if job.tstart is not None and job.tstop is not None else 0.
			line = _cliLogLine(rec.seq, tstart, runtime, receive, exitval, sig, rec.command
				, getattr(job, 'rssmax', 0.), getattr(job, 'utime', 0.), getattr(job, 'stime', 0.), job.reason)
			os.write(self.logfd, line.encode('utf-8', 'surrogateescape'))
		if not ok and self.ns.halt and not self.stopping:
			when, count, pct = self.ns.halt
			if (count and self.failed >= count) or (pct and self.failed * 100. >= pct * self.total):
				self.stopping = 'halt'
				_warnmsg('mpepool: halting ({}) after {} failed job(s); {} job(s) not started'.format(when
					, self.failed, len(self.pending)))
				if when == 'now':
					self.pool.terminate()
				return
		self.feed()

	# --- The run -----------------------------------------------------------------------------------------
	def _onsignal(self, signum, frame):
		"""SIGINT/SIGTERM: stop starting jobs and leave join(); the pool is then terminated"""
		if self.stopping == 'signal':
			return  # A second signal while terminating changes nothing
		self.stopping = 'signal'
		self.signum = signum
		raise _CliInterrupt(signum)

	def execute(self, webuiapp=None):
		"""Run all the commands; returns the exit status"""
		ns = self.ns
		if ns.bar and sys.stderr.isatty():
			self.progress = _CliProgress(self, sys.stderr)
		handlers = {}
		for signum in (signal.SIGINT, signal.SIGTERM):
			handlers[signum] = signal.signal(signum, self._onsignal)
		try:
			try:
				self.pool = ExecPool(ns.jobs, afnmask=ns.afnstep or None, memlimit=ns.memlimit
					, name='mpepool', webuiapp=webuiapp)
				if self.progress:
					self.progress.start()
				while True:
					self.feed()
					if self.inflight:
						self.pool.join()
					if not self.pending or self.stopping:
						break
			except _CliInterrupt:
				pass
			if self.stopping == 'signal':
				if self.pool is not None:
					try:
						self.pool.terminate()
					except _CliInterrupt:  # A second signal during the termination: finish it anyway
						self.pool.terminate()
		finally:
			for signum, handler in handlers.items():
				signal.signal(signum, handler)
			if self.progress:
				self.progress.stop()
			if self.logfd is not None:
				os.close(self.logfd)
				self.logfd = None
		if self.signum is not None:
			_warnmsg('mpepool: stopped by {}: {} finished, {} interrupted, {} not started'.format(
				signal.Signals(self.signum).name, self.done + self.failed, self.unfinished, len(self.pending)))
			return 128 + self.signum
		return min(self.failed, _CLI_FAILMAX + 1)


def main(argv=None):
	"""The command line: run shell commands in parallel; returns the exit status (see `mpepool --help`)

	argv: list(str)  - the arguments without the program name, sys.argv[1:] by default
	"""
	global _infomsg
	argv = sys.argv[1:] if argv is None else argv
	infomsg = _infomsg
	try:
		ns = _cliParse(argv)
		if not ns.verbose:  # The pool's per-job messages would mix with the jobs' output
			_infomsg = lambda *args: None
		else:
			_infomsg = lambda *args: _warnmsg(*args)
		webuiapp = None
		if ns.webui:
			try:
				import mpewui
			except ImportError as err:
				raise _CliError('--webui needs the Web UI (bottle and mpewui): {}'.format(err)) from None
			webuiapp = mpewui.WebUiApp(host=ns.webui[0], port=ns.webui[1], name='mpepool', daemon=True)
		if ns.demo:
			return _cliDemo(ns)
		commands = _cliInputs(ns)
		if ns.resume or ns.resume_failed:
			verdicts = _cliReadJoblog(ns.joblog)
			commands = [(seq, cmd) for seq, cmd in commands if not (seq in verdicts
				and (ns.resume or verdicts[seq]))]
		run = _CliRun(ns, commands, joblog_truncate=not (ns.resume or ns.resume_failed))
		return run.execute(webuiapp)
	except _CliError as err:
		_warnmsg('mpepool: error: {}'.format(err))
		return _CLI_EUSAGE
	finally:
		_infomsg = infomsg


if __name__ == '__main__':
	# Run main() of the module imported by its name, so that mpewui and the jobs' callbacks share it with
	# us rather than a second copy (this file is also loaded as __main__ by `python -m mpepool`)
	import mpepool
	sys.exit(mpepool.main())
