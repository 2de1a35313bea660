#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Web UI of the execution pool: failures, jobs, tasks, progress, a timeline and memory over time.

Data flow: no request ever waits for a pool's work, and a pool never waits for a request::

    pool thread:   execute() / join()  --at most every _UI_PERIOD s-->  mpepool.uiSnapshot(pool)
                   --> WebUiApp.publish(pool, snapshot): swaps one reference under a lock (O(1))
    HTTP threads:  GET /jobs?fmt=..&cols=..&flt=..&lim=..  --> one at a time, paced (_Pacer)
                   --> the answer cached for this snapshot and query (_CACHE_TTL), else: the latest
                   snapshot (a stale one is refreshed by ExecPool._uiRefresh when the pool is outside
                   its loop) --> filter, order, format (here, never in the pool's thread) --> htm | json | txt

The server is a threaded wsgiref server running a bottle application of its own (several WebUiApp
instances can coexist), bound to localhost by default and answering GET (and HEAD) only. It is private by
default (Jupyter's model): each server has a random token, printed once as a URL on stderr and written to a
file that only its owner can read; a request without it gets 401, one naming another host 403 (DNS
rebinding). A Unix socket (host='unix:/path') and HTTPS (certfile=, keyfile=) are optional; see WebUiApp.
At most _UI_CONN_MAX connections are served at once (more wait in the kernel's listen backlog) and each has
_CLIENT_TIMEOUT seconds to send its request. Pages are bottle SimpleTemplate views (``webui.tpl``,
``restapi.md``) looked up in a folder given explicitly (views=), else next to this module, in ``views/``
beside it, in ``views/`` beside the folder that holds it (a vendored ``utils/mpewui.py`` with a top-level
``views/``) and in ``<sys.prefix>/share/pyexpool/views``; never in the working directory, whose templates
would run as Python in the pool's process. They use no external CSS, JS or fonts and read well in w3m.
Charts are server-rendered SVG.

Usage::

    from mpewui import WebUiApp
    from mpepool import ExecPool, Job
    ui = WebUiApp(port=8080)  # started by the first pool that registers with it; prints its URL on stderr
    with ExecPool(4, webuiapp=ui) as pool:
        ...

Importing this module prints nothing; bottle is needed only to construct a WebUiApp and psutil only for
the host's CPU load and RAM usage shown in the summary.
"""
__all__ = ['WebUiApp', 'UiCmdId', 'UiResOpt', 'UiResFmt', 'UiResCol', 'UiResFilterVal', 'UiCmd',
           'SummaryBrief', 'ResultOptions']

import atexit
import collections
import hmac
import http.cookies
import io
import ipaddress
import itertools
import json
import math
import os
import re
import secrets
import socket
import ssl
import stat
import sys
import threading
import time
import weakref
from enum import IntEnum
from html import escape as _hesc
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

try:
	import bottle
except ImportError:  # The module stays importable; WebUiApp() says what is missing
	bottle = None
try:
	import psutil
except ImportError:  # CPU load and RAM usage of the host are shown as unknown
	psutil = None

# === Tunables ==========================================================================================

# Default number of listed items per table (the original's WUIJOBS_LIMIT); lim=0 lists all
WUIJOBS_LIMIT = 50
# Upper bound of lim and refresh, so that a typo cannot ask for a billion rows or a refresh in 30 years
_LIM_MAX = 1000000
_REFRESH_MAX = 86400
# Bars drawn in the timeline (the newest ones) and points drawn in the memory chart
_TIMELINE_BARS = 2000
_MEMCHART_POINTS = 600
# Memory samples the UI collects itself from the published snapshots (used when the pool has no trace)
_UI_MEMTRACE = 2400
# Pools remembered by one WebUiApp (the oldest gone ones are forgotten first)
_UI_POOLS_MAX = 16
# Seconds a client may take to send its whole request (line and headers; over TLS the handshake too) before
# its connection is closed; also the limit of each write of an answer to a client that does not read
_CLIENT_TIMEOUT = 5
# Bytes of the request line beyond which the answer is 414, of the line and headers together 431
_REQUEST_LINE_MAX = 8192
_REQUEST_HEAD_MAX = 16384
# Connections served at once, each by a thread and a descriptor: more wait in the listen backlog, which the
# kernel holds (no descriptor of the process), so that clients never take the descriptors the pool needs
# for its jobs (RLIMIT_NOFILE is often 1024). When all are taken and another client waits, those that have
# not sent their request within _CLIENT_GRACE seconds are closed: idle connections cannot keep the
# others out for long (a browser or curl sends its request with the connection: it has usually arrived
# when the connection is accepted). 1,000 idle connections drain at _UI_CONN_MAX / _CLIENT_GRACE per second
_UI_CONN_MAX = 64
_CLIENT_GRACE = 0.1
# Bytes of a generated token (secrets.token_urlsafe: 32 characters, 192 bits); a given one has at least
# _TOKEN_MIN characters among A-Z a-z 0-9 . _ ~ - (safe in a URL and a cookie)
_TOKEN_BYTES = 24
_TOKEN_MIN = 16
# Connections the kernel queues until the server accepts them (socketserver's default of 5 drops the SYNs
# of a burst of clients, which then retry after 1, 3, 7... s); capped by net.core.somaxconn
_LISTEN_BACKLOG = 1024
# An answer is rendered once and served again while the pool's snapshot is the same and the answer is
# younger than this many seconds (50 clients cost one rendering per page, not 50); at most _CACHE_MAX
# answers of at most _CACHE_BODY_MAX bytes each are kept
_CACHE_TTL = 0.25
_CACHE_MAX = 32
_CACHE_BODY_MAX = 1 << 20
# Seconds after which a request asks a pool that is outside its loop for the state it did not publish
_UI_FRESH = 0.25
# The threads answering requests use at most this share of one core over time (requests beyond it wait,
# they are not refused) after a burst of _UI_CPU_BURST seconds of debt: the pool's thread, which shares
# the GIL with them, keeps its timing under any number of clients
_UI_CPU_SHARE = 0.25
_UI_CPU_BURST = 0.1
# While a Web UI serves, the interpreter's thread switch interval is lowered to this many seconds (from
# Python's 0.005; the last app to stop restores it): a pool's thread that wakes while a request thread
# renders gets the GIL within it, instead of up to 5 ms at each of its wake-ups (benchmarks/bench_webui.py
# under 50 clients, loaded 2-core machine: timeout lateness median / p95 / max 17 / 74 / 147 ms at 1 ms,
# 19 / 104 / 224 ms at 5 ms); None keeps the interpreter's setting
_SWITCH_INTERVAL = 0.001

# The template folders (in this order): this module's folder, views/ in it, views/ beside it (a vendored
# utils/mpewui.py with a top-level views/), the one installed by setup.py. Never the working directory:
# bottle's default TEMPLATE_PATH ('./', './views/') would run a template planted there (/tmp, a shared
# folder) as Python in the pool's process
_HERE = os.path.dirname(os.path.abspath(__file__))
_VIEWS_OWN = os.path.join(_HERE, 'views')
_VIEWS_SHARE = os.path.join(sys.prefix, 'share', 'pyexpool', 'views')
_VIEWS = (_HERE, _VIEWS_OWN, os.path.join(os.path.dirname(_HERE), 'views'), _VIEWS_SHARE)

# === Names of the original's interface =================================================================

UiCmdId = IntEnum('UiCmdId', 'FAILURES LIST_JOBS LIST_TASKS API_MANUAL')
"""UI command identifier associated with a route"""

UiResOpt = IntEnum('UiResOpt', 'fmt cols flt lim refresh pool')
"""URL parameters of the data routes (pool is an addition: which pool, by index or name)"""

UiResFmt = IntEnum('UiResFmt', 'json htm txt')
"""Result formats"""

UiResCol = IntEnum('UiResCol', 'category rcode duration memkind memsize name numadded numdone numterm pid'
	' task tstart tstop code cputime mempeak reason rssmax size state stime timeout utime wslot wtime accounting'
	' errtail')
"""Columns (properties) of jobs and tasks; rcode is an alias of code. The first 13 are the original's.
The pool's launcher may add its own (Launcher.columns, see _launcherColumn)."""

UiResFilterVal = collections.namedtuple('UiResFilterVal', 'beg end opt')
"""A filter constraint: exact match when end is None, else the half-open range [beg, end) (open bounds
are -inf / +inf); opt: a job or task without the property (or with None) passes"""


class UiCmd(object):
	"""The original's request/response slot between the HTTP and the pool threads.

	Kept for compatibility (WebUiApp.cmd); the snapshot design does not use it.
	cond: threading.Condition, id: UiCmdId or None, data: dict
	"""
	__slots__ = ('cond', 'id', 'data')

	def __init__(self, cid, data=None):
		if cid is not None and not isinstance(cid, UiCmdId):
			raise TypeError('cid must be a UiCmdId or None, not {!r}'.format(cid))
		if data is not None and not isinstance(data, dict):
			raise TypeError('data must be a dict or None, not {!r}'.format(data))
		self.cond = threading.Condition()
		self.id = cid
		self.data = {} if data is None else data  # A fresh dict: no shared mutable default


class SummaryBrief(object):
	"""Counts of a pool: running workers, queued jobs, done and failed jobs, tasks (with failures, roots)"""
	__slots__ = ('workers', 'jobs', 'jobsDone', 'jobsFailed', 'tasks', 'tasksFailed', 'tasksRoot',
		'tasksRootFailed')

	def __init__(self, workers=0, jobs=0, jobsDone=0, jobsFailed=0, tasksFailed=0, tasks=0,
	tasksRootFailed=0, tasksRoot=0):
		self.workers = workers
		self.jobs = jobs
		self.jobsDone = jobsDone
		self.jobsFailed = jobsFailed
		self.tasks = tasks
		self.tasksFailed = tasksFailed
		self.tasksRoot = tasksRoot
		self.tasksRootFailed = tasksRootFailed

	def json(self):
		"""The counts as a dict in the slots' order"""
		return collections.OrderedDict((k, getattr(self, k)) for k in self.__slots__)

# === Columns: what can be listed, filtered and how it is shown =========================================
# kind: str (text), int, num (a number), sec (a duration, DHMS accepted), time (a perf_counter stamp: shown
# as a wall-clock time, in JSON as epoch seconds, filtered in seconds since the pool started), gb (memory).
# objs: 'j' jobs, 't' tasks.

_Col = collections.namedtuple('_Col', 'kind objs descr')
_COLUMNS = collections.OrderedDict((
	('name', _Col('str', 'jt', 'name of the job or task')),
	('state', _Col('str', 'jt', 'running, queued, done, failed, killed or canceled')),
	('task', _Col('str', 'jt', 'name of the owner task')),
	('category', _Col('str', 'j', 'category of the job (chained constraints)')),
	('size', _Col('num', 'j', 'size of the job (chained constraints)')),
	('pid', _Col('int', 'j', 'process id')),
	('code', _Col('int', 'j', 'exit code (negative: killed by that signal)')),
	('rcode', _Col('int', 'j', 'the same as code (name of the original API)')),
	('reason', _Col('str', 'j', 'why the pool stopped the job (timeout, memory limit, ...)')),
	('wslot', _Col('int', 'j', 'worker slot the job ran in')),
	('tstart', _Col('time', 'jt', 'start time')),
	('tstop', _Col('time', 'jt', 'stop time')),
	('duration', _Col('sec', 'jt', 'wall time: stop (or now) - start')),
	('timeout', _Col('sec', 'j', 'timeout of the job, 0: none')),
	('memsize', _Col('gb', 'j', 'memory of the job (current estimate, GB)')),
	('mempeak', _Col('gb', 'j', 'peak of the sampled memory (GB)')),
	('rssmax', _Col('gb', 'j', 'peak memory (kernel, GB): of the whole tree where the launcher measures it, else'
		' the peak RSS of its largest process')),
	('memkind', _Col('int', 'j', 'memory kind: 0 main process, 1 its largest process, 2 the whole tree')),
	('utime', _Col('sec', 'j', 'user CPU time of the process tree')),
	('stime', _Col('sec', 'j', 'system CPU time of the process tree')),
	('cputime', _Col('sec', 'j', 'user + system CPU time (of the main process while running)')),
	('wtime', _Col('sec', 'j', 'wall time from spawn to exit')),
	('accounting', _Col('str', 'j', "source of rssmax, utime, stime: wait4, or the launcher's own")),
	('numadded', _Col('int', 't', 'jobs and subtasks added to the task')),
	('numdone', _Col('int', 't', 'of them completed successfully')),
	('numterm', _Col('int', 't', 'of them failed or terminated')),
	('errtail', _Col('str', 'j', 'the last lines of its standard error, when captured (PIPE)')),
))
# The columns that the pools' launchers add to their jobs (Launcher.columns, UiSnapshot.columns), learnt
# from their snapshots: text, shown after the others in every format
_LAUNCHER_COLS = collections.OrderedDict()
_LAUNCHER_COL = _Col('str', 'j', "a result of the pool's launcher")


def _launcherColumn(name):
	"""Learn a column that a pool's launcher adds to its jobs"""
	if name not in _COLUMNS and name not in _LAUNCHER_COLS:
		_LAUNCHER_COLS[name] = _LAUNCHER_COL


def _column(name):
	"""The _Col of a column name, None when unknown"""
	return _COLUMNS.get(name) or _LAUNCHER_COLS.get(name)


def _columnNames():
	"""All the column names, for the error messages"""
	return ' '.join(itertools.chain(_COLUMNS, _LAUNCHER_COLS))


_NUMKINDS = ('int', 'num', 'sec', 'time', 'gb')

# JSON rows of jobs and of tasks start with the original's columns, in its order (JobInfo._props and
# TaskInfo._props of mpepool: its clients index rows by position), then ours; htm and txt order them for
# people (the defaults below); cols= selects and orders the columns of every format. The launcher's columns
# follow in JSON rows of jobs, in its order
_JSON_JOB = ('name', 'pid', 'code', 'tstart', 'tstop', 'memsize', 'memkind', 'task', 'category', 'duration'
	, 'state', 'reason', 'wslot', 'size', 'timeout', 'mempeak', 'rssmax', 'cputime', 'utime', 'stime', 'wtime')
_JSON_TASK = ('name', 'tstart', 'tstop', 'numadded', 'numdone', 'numterm', 'task', 'duration', 'state')

# Default columns per table
_COLS_FAILED = ('name', 'task', 'category', 'state', 'code', 'reason', 'tstart', 'duration', 'mempeak',
	'rssmax', 'cputime', 'accounting', 'errtail')
_COLS_RUNNING = ('name', 'task', 'category', 'pid', 'wslot', 'tstart', 'duration', 'timeout', 'memsize',
	'mempeak', 'cputime')
_COLS_QUEUED = ('name', 'task', 'category', 'size', 'timeout', 'memsize')
_COLS_DONE = ('name', 'task', 'state', 'code', 'tstart', 'duration', 'mempeak', 'rssmax', 'cputime', 'accounting')
_COLS_FTREE = ('name', 'state', 'code', 'reason', 'tstart', 'duration', 'numadded', 'numdone', 'numterm',
	'mempeak', 'cputime')
_COLS_TTREE = ('name', 'state', 'pid', 'tstart', 'duration', 'numadded', 'numdone', 'numterm', 'memsize',
	'cputime')

# Outcome colours (timeline, badges)
_COLORS = collections.OrderedDict((('done', '#2e9d5b'), ('failed', '#d64545'), ('killed', '#e08a1e'),
	('canceled', '#9aa3ad'), ('running', '#3b7dd8'), ('queued', '#c9d2dc')))

# === Query parsing =====================================================================================

_RE_INT = re.compile(r'[-+]?\d+$')
_RE_FLOAT = re.compile(r'[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$')
# Text-mode browsers show the text content of SVG labels as a run-on line: they get the charts' summaries
_RE_TEXTBROWSER = re.compile(r'\b(w3m|lynx|e?links)\b', re.IGNORECASE)
_RE_HEAD_END = re.compile(rb'\r?\n\r?\n')  # The blank line that ends a request's headers
_RE_DHMS = re.compile(r'(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d*)?|\.\d+)?$')


def inferNumType(sval):
	"""int or float of a number text, else the text itself: '-15' -> -15, '1.5' -> 1.5, 'c1' -> 'c1'"""
	if _RE_INT.match(sval):
		return int(sval)
	if _RE_FLOAT.match(sval):
		return float(sval)
	return sval


class ResultOptions(object):
	"""Parsed and validated URL parameters of a UI request.

	qdict: mapping  - the URL parameters (a dict, or bottle's request.query; the last value wins)

	Attributes: fmt (UiResFmt), cols (list of column names or None), fltopts (dict name ->
	UiResFilterVal or None), lim (int, 0: all), refresh (int seconds or None), pool (str or None).
	A bad value raises ValueError whose message names the parameter and echoes the value.
	"""
	__slots__ = ('fmt', 'cols', 'fltopts', 'lim', 'refresh', 'pool')

	def __init__(self, qdict):
		for key in qdict.keys():
			if key not in UiResOpt.__members__:
				raise ValueError('unknown URL parameter {!r}; the parameters are: {}'.format(key
					, ', '.join(UiResOpt.__members__)))
		val = qdict.get('fmt')
		try:
			self.fmt = UiResFmt[val] if val else UiResFmt.htm
		except KeyError:
			raise ValueError('fmt must be one of {}, not {!r}'.format('|'.join(UiResFmt.__members__), val))
		self.cols = None
		val = qdict.get('cols')
		if val:
			self.cols = []
			for col in val.split(','):
				col = col.strip()
				if _column(col) is None:
					raise ValueError('cols: unknown column {!r}; the columns are: {}'.format(col, _columnNames()))
				if col not in self.cols:
					self.cols.append(col)
		self.fltopts = self.parseFilter(qdict.get('flt'))
		self.lim = self._intParam(qdict, 'lim', WUIJOBS_LIMIT, _LIM_MAX)
		self.refresh = self._intParam(qdict, 'refresh', None, _REFRESH_MAX)
		self.pool = qdict.get('pool') or None

	@staticmethod
	def _intParam(qdict, name, default, vmax):
		"""A non-negative int parameter; empty or absent -> default"""
		val = qdict.get(name)
		if val is None or not val.strip():
			return default
		if not _RE_INT.match(val.strip()) or not 0 <= int(val) <= vmax:
			raise ValueError('{} must be an integer in 0..{}, not {!r}'.format(name, vmax, val))
		return int(val)

	@staticmethod
	def dhmsSec(dhms):
		"""Seconds of a duration written [<days>d][<hours>h][<minutes>m][<seconds>]

		>>> ResultOptions.dhmsSec('10'), ResultOptions.dhmsSec('1m'), ResultOptions.dhmsSec('1m5.782')
		(10, 60, 65.782)
		>>> ResultOptions.dhmsSec('1h2m5'), ResultOptions.dhmsSec('2d2h'), ResultOptions.dhmsSec('2d5h12.8')
		(3725, 180000, 190812.8)
		"""
		mres = _RE_DHMS.match(dhms) if isinstance(dhms, str) else None
		if not dhms or mres is None:
			raise ValueError('not a duration [<d>d][<h>h][<m>m][<s>]: {!r}'.format(dhms))
		days, hours, mins, secs = mres.groups()
		res = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(mins or 0) * 60
		if secs:
			res += float(secs) if '.' in secs else int(secs)
		return res

	@classmethod
	def parseFilter(cls, flt):
		"""Parse flt: items <prop>[*][:<beg>[..<end>]] separated by '|' -> dict prop -> UiResFilterVal|None"""
		res = collections.OrderedDict()
		if not flt:
			return res
		for item in flt.split('|'):
			if not item.strip():
				continue
			prop, sep, cond = item.partition(':')
			prop = prop.strip()
			opt = prop.endswith('*')
			if opt:
				prop = prop[:-1]
			col = _column(prop)
			if col is None:
				raise ValueError('flt: unknown property {!r} in {!r}; the properties are: {}'.format(prop, item
					, _columnNames()))
			if not sep:
				if opt:
					raise ValueError('flt: only a constrained property can be optional: {!r}'.format(item))
				res[prop] = None  # Must be present and not None
				continue
			if '..' in cond:
				beg, end = cond.split('..', 1)
				beg = cls._bound(prop, col, beg, float('-inf'), item)
				end = cls._bound(prop, col, end, float('inf'), item)
			else:
				beg = cls._bound(prop, col, cond, None, item)
				end = None
			res[prop] = UiResFilterVal(beg, end, opt)
		return res

	@classmethod
	def _bound(cls, prop, col, sval, dflt, item):
		"""A filter value converted to the property's kind; empty -> dflt (an open bound)"""
		sval = sval.strip()
		if not sval:
			if dflt is None:
				raise ValueError('flt: empty value of {!r} in {!r}'.format(prop, item))
			return dflt
		if col.kind == 'str':
			return sval
		if col.kind in ('sec', 'time'):
			try:
				return cls.dhmsSec(sval)
			except ValueError:
				pass
		val = inferNumType(sval)
		if isinstance(val, str) or (col.kind == 'int' and isinstance(val, float) and val != int(val)):
			raise ValueError('flt: {} expects {}, not {!r} (in {!r})'.format(prop, {'int': 'an integer'
				, 'sec': 'a duration like 2d5h12.8, 1h2m5 or 90.5', 'time': 'seconds since the pool start'
				' (a duration like 1h2m5)'}.get(col.kind, 'a number'), sval, item))
		return val


def _parseQuery(qstr):
	"""URL parameters of a query string as a dict (the last value wins), decoded as UTF-8 with replacement"""
	return dict(parse_qsl(qstr or '', keep_blank_values=True, encoding='utf-8', errors='replace'))

# === Formatting ========================================================================================


def _fmtDuration(sec):
	"""A human duration: 850 ms, 12.4 s, 5m 02s, 2h 05m, 3d 04h"""
	if sec is None:
		return ''
	if sec < 0:
		sec = 0
	if sec < 1:
		return '{:d} ms'.format(int(round(sec * 1000)))
	if sec < 59.95:
		return '{:.1f} s'.format(sec)
	sec = int(round(sec))
	if sec < 3600:
		return '{:d}m {:02d}s'.format(*divmod(sec, 60))
	if sec < 86400:
		return '{:d}h {:02d}m'.format(sec // 3600, sec % 3600 // 60)
	return '{:d}d {:02d}h'.format(sec // 86400, sec % 86400 // 3600)


def _fmtMem(gbs):
	"""A human memory size of a GB value: 0, 740 KB, 12.3 MB, 1.25 GB"""
	if gbs is None:
		return ''
	nbytes = gbs * 1024.**3
	if nbytes <= 0:
		return '0'
	for unit, scale in (('KB', 1024.**1), ('MB', 1024.**2), ('GB', 1024.**3)):
		val = nbytes / scale
		if val < 1024 or unit == 'GB':
			return '{:.{}f} {}'.format(val, 0 if val >= 100 or unit == 'KB' else 1 if val >= 10 else 2, unit)


def _fmtClock(twall, today):
	"""A local wall-clock time 'HH:MM:SS', prefixed with the date when it is not today"""
	if twall is None:
		return ''
	tloc = time.localtime(twall)
	if time.strftime('%Y-%m-%d', tloc) == today:
		return time.strftime('%H:%M:%S', tloc)
	return time.strftime('%Y-%m-%d %H:%M:%S', tloc)


def _fmtNum(val):
	"""A number for a table: ints as they are, floats with up to 3 decimals"""
	if isinstance(val, float):
		return '{:.3f}'.format(val).rstrip('0').rstrip('.') if abs(val) < 1e15 else '{:g}'.format(val)
	return str(val)


def _niceStep(span, nticks):
	"""A round step (1, 2, 5 x 10^k) dividing span into about nticks intervals"""
	if span <= 0:
		return 1.
	raw = span / max(nticks, 1)
	mag = 10 ** math.floor(math.log10(raw))
	for mul in (1, 2, 5, 10):
		if mul * mag >= raw:
			return mul * mag
	return 10 * mag


def _niceTimeStep(span, nticks):
	"""A round time step (s, min, h) dividing span into about nticks intervals"""
	raw = span / max(nticks, 1)
	for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600
	, 43200, 86400):
		if step >= raw:
			return step
	return _niceStep(span, nticks)

# === Records: snapshot items as dicts of typed values ==================================================


class _Records(object):
	"""Jobs and tasks of one snapshot as dicts of column values, built in the HTTP thread for one request"""

	def __init__(self, snap, now, tstart):
		self.snap = snap
		self.now = now  # perf_counter now
		self.t0 = tstart  # Origin of the tstart/tstop filters
		self.tasks = dict(snap.tasks)  # Task -> UiTask; completed lazily with live reads of failure tasks
		self._trecs = {}

	def outcome(self, jinf):
		"""done, failed, killed or canceled of a finished JobInfo"""
		reason = getattr(jinf, 'reason', None)
		code = getattr(jinf, 'code', None)
		if reason is None:
			return 'done' if code == 0 else 'failed'
		if reason in ('canceled', 'start failure', 'onstart failure') or (getattr(jinf, 'pid', None) is None
		and code is None):
			return 'canceled' if reason not in ('start failure', 'onstart failure') else 'failed'
		return 'killed'

	def job(self, jinf, state=None):
		"""A job record of a UiJob (running or queued) or of a JobInfo (finished)"""
		g = getattr
		tstart = g(jinf, 'tstart', None)
		tstop = g(jinf, 'tstop', None)
		utime = g(jinf, 'utime', None)
		stime = g(jinf, 'stime', None)
		if state is None:
			state = self.outcome(jinf)
		rec = {'name': g(jinf, 'name', None), 'state': state, 'task': self.taskName(g(jinf, 'task', None))
			, 'category': g(jinf, 'category', None), 'size': g(jinf, 'size', None), 'pid': g(jinf, 'pid', None)
			, 'code': g(jinf, 'code', None), 'reason': g(jinf, 'reason', None), 'wslot': g(jinf, 'wslot', None)
			, 'tstart': tstart, 'tstop': tstop, 'timeout': g(jinf, 'timeout', None)
			, 'memsize': g(jinf, 'memsize', None) if hasattr(jinf, 'memsize') else g(jinf, 'mem', None)
			, 'mempeak': g(jinf, 'mempeak', None), 'rssmax': g(jinf, 'rssmax', None)
			, 'memkind': g(jinf, 'memkind', None), 'utime': utime, 'stime': stime, 'wtime': g(jinf, 'wtime', None)
			, 'accounting': g(jinf, 'accounting', None), 'errtail': g(jinf, 'errtail', None), '_obj': jinf}
		for col in self.snap.columns:  # The launcher's
			rec[col] = g(jinf, col, None)
		rec['rcode'] = rec['code']
		if tstart is not None:
			rec['duration'] = (tstop if tstop is not None else self.now) - tstart
		else:
			rec['duration'] = None
		if utime is not None or stime is not None:
			rec['cputime'] = (utime or 0) + (stime or 0)
		elif state == 'running' and rec['pid'] and psutil is not None:
			# CPU time of the running main process (and its reaped children), read in this thread
			try:
				ctm = psutil.Process(rec['pid']).cpu_times()
				rec['utime'] = ctm.user + ctm.children_user
				rec['stime'] = ctm.system + ctm.children_system
				rec['cputime'] = rec['utime'] + rec['stime']
			except (psutil.Error, OSError):  # Just exited: the next snapshot has its final accounting
				rec['cputime'] = None
		else:
			rec['cputime'] = None
		return rec

	def taskName(self, task):
		"""Name of a Task object (or of a task name), None for None"""
		if task is None or isinstance(task, str):
			return task
		return getattr(task, 'name', None)

	def taskInfo(self, task):
		"""The UiTask of a Task object: from the snapshot, else read once from the (live) task"""
		tinf = self.tasks.get(task)
		if tinf is None:
			g = getattr
			tinf = _LiveTask(g(task, 'name', None), g(task, 'task', None), g(task, 'tstart', None)
				, g(task, 'tstop', None), g(task, 'numadded', None), g(task, 'numdone', None)
				, g(task, 'numterm', None))
			self.tasks[task] = tinf
		return tinf

	def task(self, task):
		"""The record of a Task object"""
		rec = self._trecs.get(task)
		if rec is not None:
			return rec
		tinf = self.taskInfo(task)
		tstart, tstop = tinf.tstart, tinf.tstop
		if tstop is None:
			state = 'running'
		else:
			state = 'failed' if tinf.numterm else 'done'
		rec = {'name': tinf.name, 'state': state, 'task': self.taskName(tinf.task), 'tstart': tstart
			, 'tstop': tstop, 'duration': None if tstart is None else (tstop if tstop is not None
			else self.now) - tstart, 'numadded': tinf.numadded, 'numdone': tinf.numdone, 'numterm': tinf.numterm
			, '_obj': task}
		self._trecs[task] = rec
		return rec

	def parent(self, task):
		"""The owner task of a Task object"""
		return self.taskInfo(task).task

	def match(self, rec, fltopts):
		"""Whether a record passes all the filter constraints"""
		for prop, cons in fltopts.items():
			val = rec.get(prop)
			if val is not None and _column(prop).kind == 'time':
				val = val - (self.t0 if self.t0 is not None else 0.)
			if cons is None:
				if val is None:
					return False
				continue
			if val is None:
				if cons.opt:
					continue
				return False
			if _column(prop).kind == 'str':
				val = str(val)  # Text bounds; e.g. a user's category may be a number
			elif isinstance(val, str):  # A number column holding text: cannot be compared, fails the filter
				return False
			if cons.end is None:
				if val != cons.beg:
					return False
			elif not ((_isinf(cons.beg) or val >= cons.beg) and (_isinf(cons.end) or val < cons.end)):
				return False
		return True


_LiveTask = collections.namedtuple('_LiveTask', 'name task tstart tstop numadded numdone numterm')


def _isinf(val):
	"""Whether val is an open (infinite) bound"""
	return isinstance(val, float) and math.isinf(val)

# === Pages: the data of a request ======================================================================


class _Table(object):
	"""A table of a page: columns, rows of records (with a tree depth) and counts"""
	__slots__ = ('key', 'title', 'cols', 'rows', 'tree', 'matched', 'limited', 'empty', 'note')

	def __init__(self, key, title, cols, tree=False, empty=''):
		self.key = key  # JSON key: jobsInfo, workersInfo, tasksInfo, ...
		self.title = title
		self.cols = cols
		self.rows = []  # (depth, kind 't'/'j', record, context: bool)
		self.tree = tree
		self.matched = 0  # Items matching the filter (>= shown ones when limited)
		self.limited = False
		self.empty = empty
		self.note = ''


class _Page(object):
	"""Everything a response shows for one route, computed from one snapshot"""

	TITLES = {'failures': 'Failures', 'jobs': 'Jobs', 'tasks': 'Tasks', 'apinfo': 'API'}
	DESCRS = {'failures': 'Failed jobs, and the tasks with at least one failed job.'
		, 'jobs': 'Running and queued jobs, and the recently finished ones.'
		, 'tasks': 'Unfinished tasks with their running and queued jobs.'
		, 'apinfo': 'The URL parameters and the JSON schema of the Web UI.'}

	def __init__(self, page, opts, entry, now):
		self.page = page
		self.opts = opts
		self.entry = entry
		self.snap = entry.snap if entry is not None else None
		self.now = now
		self.tables = []
		self.errmsg = None
		self._launched = None  # The launcher's columns that its jobs have, found on first use
		if self.snap is None:
			self.errmsg = 'No execution pool has published its state yet' if entry is not None else \
				'No execution pool is attached to this Web UI'
			self.recs = None
			return
		# Start of the pool's run: kept after a join() ended (when the pool resets its own)
		self.tstart = self.snap.tstart if self.snap.tstart is not None else entry.tlast
		self.recs = _Records(self.snap, now, self.tstart)
		getattr(self, '_' + page)()

	def _cols(self, dflt):
		"""Columns of a table: the requested ones (name first) or the defaults"""
		cols = self.opts.cols
		if not cols:
			return list(dflt) + (self._launcherCols() if dflt is not _COLS_QUEUED else [])
		return (['name'] if 'name' not in cols else []) + list(cols)

	def _launcherCols(self):
		"""The columns of the pool's launcher that some running or finished job of the snapshot has"""
		if self._launched is None:
			snap = self.snap
			jobs = tuple(itertools.chain(snap.running, snap.failures, snap.history))
			self._launched = [col for col in snap.columns if any(getattr(j, col, None) is not None for j in jobs)]
		return self._launched

	def _limit(self, table, count):
		"""Whether one more row fits into the limit; marks the table as limited otherwise"""
		lim = self.opts.lim
		if lim and count >= lim:
			table.limited = True
			return False
		return True

	def _failures(self):
		recs, flt = self.recs, self.opts.fltopts
		plain = _Table('jobsInfo', 'Failed jobs not assigned to tasks', self._cols(_COLS_FAILED)
			, empty='No failed jobs without a task.')
		tree = _Table('tasksInfo', 'Failed tasks with their jobs', self._cols(_COLS_FTREE), tree=True
			, empty='No failed jobs in tasks.')
		bytask = collections.OrderedDict()
		ntree = 0
		for jinf in self.snap.failures:
			task = getattr(jinf, 'task', None)
			if not flt and not self._limit(plain if task is None else tree, len(plain.rows) if task is None
			else ntree):  # Without a filter every job matches: no record is built beyond the limit
				if task is None:
					plain.matched += 1
				else:
					tree.matched += 1
				continue
			rec = recs.job(jinf)
			if not recs.match(rec, flt):
				continue
			if task is None:
				plain.matched += 1
				if self._limit(plain, len(plain.rows)):
					plain.rows.append((0, 'j', rec, False))
			else:
				tree.matched += 1
				if self._limit(tree, ntree):
					ntree += 1
					bytask.setdefault(task, []).append(rec)
		self._tree(tree, bytask, ())
		self.tables = [plain, tree]

	def _jobs(self):
		recs, flt = self.recs, self.opts.fltopts
		running = _Table('workersInfo', 'Running', self._cols(_COLS_RUNNING), empty='No running jobs.')
		for ujob in sorted(self.snap.running, key=lambda j: (j.wslot is None, j.wslot or 0, j.tstart or 0)):
			rec = recs.job(ujob, 'running')
			if recs.match(rec, flt):
				running.matched += 1
				running.rows.append((0, 'j', rec, False))
		queued = _Table('jobsInfo', 'Queued', self._cols(_COLS_QUEUED), empty='No queued jobs.')
		for ujob in self.snap.queued:
			if not flt and not self._limit(queued, len(queued.rows)):
				queued.matched = len(self.snap.queued)  # Without a filter all match: no more records needed
				break
			rec = recs.job(ujob, 'queued')
			if recs.match(rec, flt):
				queued.matched += 1
				if self._limit(queued, len(queued.rows)):
					queued.rows.append((0, 'j', rec, False))
		if self.snap.queuelen > len(self.snap.queued):
			queued.note = 'The snapshot holds the first {} of {} queued jobs.'.format(len(self.snap.queued)
				, self.snap.queuelen)
		done = _Table('doneInfo', 'Recently finished', self._cols(_COLS_DONE), empty='No finished jobs yet.')
		for jinf in reversed(self.snap.history):
			if not flt and not self._limit(done, len(done.rows)):
				done.matched = len(self.snap.history)
				break
			rec = recs.job(jinf)
			if recs.match(rec, flt):
				done.matched += 1
				if self._limit(done, len(done.rows)):
					done.rows.append((0, 'j', rec, False))
		self.tables = [running, queued, done]

	def _tasks(self):
		recs, flt = self.recs, self.opts.fltopts
		tree = _Table('tasksInfo', 'Unfinished tasks with their jobs', self._cols(_COLS_TTREE), tree=True
			, empty='No unfinished tasks.')
		bytask = collections.OrderedDict()
		count = 0
		for ujob, state in itertools.chain(((j, 'running') for j in self.snap.running)
		, ((j, 'queued') for j in self.snap.queued)):
			if ujob.task is None:
				continue
			if not flt and not self._limit(tree, count):
				tree.matched += 1
				continue
			rec = recs.job(ujob, state)
			if recs.match(rec, flt):
				tree.matched += 1
				if self._limit(tree, count):
					count += 1
					bytask.setdefault(ujob.task, []).append(rec)
		# Unfinished tasks matching the filter are listed even without listed jobs
		extra = []
		for task in self.snap.taskreg:
			trec = recs.task(task)
			if trec['tstop'] is None and recs.match(trec, flt) and task not in bytask:
				extra.append(task)
		self._tree(tree, bytask, extra)
		self.tables = [tree]

	def _tree(self, table, bytask, extra):
		"""Fill table with the task hierarchy holding the jobs of bytask (Task -> job records) and extra tasks

		Tasks are in the tree when they hold listed jobs, are listed themselves (extra) or are ancestors of
		those; a task that does not match the filter is shown as context. Each task appears once (the
		original duplicated intermediate tasks of deep hierarchies).
		"""
		recs, flt = self.recs, self.opts.fltopts
		children = collections.OrderedDict()  # Task -> [subtasks]
		roots = []
		seen = set()
		for task in itertools.chain(bytask, extra):
			while task is not None and task not in seen:
				seen.add(task)
				parent = recs.parent(task)
				if parent is None or parent is task:
					roots.append(task)
					break
				children.setdefault(parent, []).append(task)
				task = parent

		def order(task):
			trec = recs.task(task)
			return (trec['tstart'] is None, trec['tstart'] or 0, trec['name'] or '')
		lim = self.opts.lim
		# The owners of the listed jobs are always shown; the other tasks count against the limit
		needed = set()
		for task in bytask:
			while task is not None and task not in needed:
				needed.add(task)
				task = recs.parent(task)
		nrows = [sum(len(v) for v in bytask.values())]

		# Depth first, iteratively: hierarchies thousands of levels deep are common in generated workloads
		todo = [(root, 0) for root in reversed(sorted(roots, key=order))]
		emitted = set()  # A cycle of owners cannot come from Task, but never loop on bad data
		while todo:
			task, depth = todo.pop()
			if task in emitted:
				continue
			emitted.add(task)
			trec = recs.task(task)
			if task not in needed:
				if lim and nrows[0] >= lim:
					table.limited = True
					continue
				nrows[0] += 1
			table.rows.append((depth, 't', trec, not recs.match(trec, flt)))
			for jrec in bytask.get(task, ()):
				table.rows.append((depth + 1, 'j', jrec, False))
			todo.extend((sub, depth + 1) for sub in reversed(sorted(children.get(task, ()), key=order)))

	def _apinfo(self):
		pass

	# Summary ---------------------------------------------------------------------------------------------
	def summary(self):
		"""SummaryBrief of the snapshot"""
		snap = self.snap
		recs = self.recs
		failed = set()
		rootsfailed = set()
		for jinf in snap.failures:
			task = getattr(jinf, 'task', None)
			while task is not None and task not in failed:  # Each task once: any depth, and never a loop
				failed.add(task)
				parent = recs.parent(task)
				if parent is None:
					rootsfailed.add(task)
				task = parent
		roots = sum(1 for t in snap.taskreg if recs.parent(t) is None)
		return SummaryBrief(workers=len(snap.running), jobs=snap.queuelen, jobsDone=snap.jobsdone
			, jobsFailed=len(snap.failures), tasksFailed=len(failed), tasks=len(snap.taskreg)
			, tasksRootFailed=len(rootsfailed), tasksRoot=roots)

	def progress(self):
		"""Counts, elapsed time and an estimate of the time left"""
		snap = self.snap
		nfailed = len(snap.failures)
		finished = snap.jobsdone + nfailed
		left = len(snap.running) + snap.queuelen
		elapsed = None
		if self.tstart is not None:
			elapsed = max(0., (self.now if left or snap.tend is None else snap.tend) - self.tstart)
		eta = None
		if left and elapsed and finished:
			eta = elapsed / finished * left  # Throughput so far; the running jobs count as left
		total = finished + left
		return collections.OrderedDict((('done', snap.jobsdone), ('failed', nfailed)
			, ('running', len(snap.running)), ('queued', snap.queuelen), ('total', total)
			, ('fraction', finished / total if total else None), ('elapsed', elapsed), ('eta', eta)))

	def state(self):
		"""running, idle or terminated"""
		snap = self.snap
		if not snap.alive:
			return 'terminated'
		return 'running' if snap.running or snap.queuelen else 'idle'

# === Rendering =========================================================================================


def _jsonVal(rec, col, clock0):
	"""A typed JSON value of a record's column: times as epoch seconds"""
	val = rec.get(col)
	if val is not None and _column(col).kind == 'time':
		return round(clock0 + val, 3)
	if isinstance(val, float):
		return round(val, 6) if math.isfinite(val) else None
	if val is not None and not isinstance(val, (int, str, bool)):
		return str(val)
	return val


def _cellText(rec, col, today, clock0):
	"""A human text of a record's column"""
	val = rec.get(col)
	kind = _column(col).kind
	if val is None:
		return '-' if kind == 'gb' else ''  # Memory not measured, never a false 0
	if kind == 'time':
		return _fmtClock(clock0 + val, today)
	if kind == 'sec':
		return _fmtDuration(val) if val or col != 'timeout' else '-'
	if kind == 'gb':
		return _fmtMem(val)
	if kind in ('int', 'num'):
		return _fmtNum(val)
	return ' ⏎ '.join(str(val).splitlines())  # A table row stays one line (the lines of a job's stderr)


# Tree levels shown by indentation; deeper rows keep it and show their level, as the pool's failure report
_TREE_INDENT_MAX = 8


def _treeIndent(depth, unit):
	"""The indentation of a tree row of depth levels: unit per level up to _TREE_INDENT_MAX, then '[depth] '"""
	if depth <= _TREE_INDENT_MAX:
		return unit * depth
	return '{}[{}] '.format(unit * _TREE_INDENT_MAX, depth)


class _Render(object):
	"""Renders a _Page as htm, json or txt"""

	def __init__(self, page, app):
		self.p = page
		self.app = app
		self.today = time.strftime('%Y-%m-%d')
		snap = page.snap
		self.clock0 = snap.clock0 if snap is not None else time.time() - time.perf_counter()

	# JSON ------------------------------------------------------------------------------------------------
	def json(self):
		p = self.p
		res = collections.OrderedDict()
		res['page'] = p.page
		host = self.app.hostInfo()
		res['cpuLoad'] = host['cpuLoad']
		res['ramUsage'] = host['ramUsage']
		res['ramTotal'] = host['ramTotal']
		res['lim'] = p.opts.lim
		res['pools'] = self.app.poolList()
		if p.errmsg:
			res['errmsg'] = p.errmsg
		if p.snap is None:
			return res
		snap = p.snap
		prog = p.progress()
		res['pool'] = collections.OrderedDict((('name', p.entry.title()), ('index', p.entry.key)
			, ('state', p.state()), ('alive', snap.alive), ('wkslim', snap.wkslim), ('memlimit', snap.memlimit)
			, ('tstart', None if p.tstart is None else round(self.clock0 + p.tstart, 3))
			, ('snapshotAge', round(max(0., p.now - snap.tsnap), 3))
			, ('memjobs', None if snap.memjobs is None else round(snap.memjobs, 6))
			, ('memMeasured', bool(getattr(snap, 'memmeasured', True)))))
		res['progress'] = collections.OrderedDict((k, round(v, 3) if isinstance(v, float) else v)
			for k, v in prog.items())
		res['summary'] = p.summary().json()
		for tbl in p.tables:
			if tbl.tree:
				rows, wide = self._jsonTree(tbl)
				res[tbl.key] = rows
				res[tbl.key + 'Wide'] = wide
			else:
				cols = tbl.cols if p.opts.cols else _JSON_JOB + p.snap.columns
				res[tbl.key] = [list(cols)] + [[_jsonVal(rec, c, self.clock0) for c in cols]
					for _, _, rec, _ in tbl.rows] if tbl.rows else []
			res[tbl.key + 'Matched'] = tbl.matched
		return res

	def _jsonTree(self, tbl):
		"""The original's layout of a hierarchy: task header, task values, job header, job rows, subtasks"""
		rows = []
		wide = 0
		if self.p.opts.cols:
			tcols = [c for c in tbl.cols if 't' in _column(c).objs]
			jcols = [c for c in tbl.cols if 'j' in _column(c).objs]
		else:
			tcols, jcols = _JSON_TASK, _JSON_JOB + self.p.snap.columns
		prevkind = None
		for depth, kind, rec, ctx in tbl.rows:
			cols = tcols if kind == 't' else jcols
			if kind == 't' or prevkind != 'j':
				rows.append({'compound': kind == 't', 'ident': depth, 'data': list(cols)})
			row = {'compound': None, 'ident': depth, 'data': [_jsonVal(rec, c, self.clock0) for c in cols]}
			if kind == 't':
				row['context'] = ctx
			rows.append(row)
			wide = max(wide, depth + len(cols))
			prevkind = kind
		return rows, wide

	# Text ------------------------------------------------------------------------------------------------
	def txt(self):
		p = self.p
		out = ['PyExPool Web UI: {} - {}'.format(_Page.TITLES[p.page], p.DESCRS[p.page])]
		if p.errmsg:
			out.append('ERROR: ' + p.errmsg)
		if p.snap is not None:
			ctx = self.context()
			out.append('Pool "{}": {}; workers {} / {}; elapsed {}; left {}'.format(ctx['poolName'], ctx['poolState']
				, ctx['workers'], ctx['wksmax'], ctx['elapsed'] or '-', ctx['eta'] or '-'))
			out.append('Jobs: {done} done, {failed} failed, {running} running, {queued} queued'.format(
				**ctx['prog']))
			out.append('Host: RAM {}, CPU {}'.format(ctx['ramText'], ctx['cpuText']))
			out.append('Memory of the jobs: {} (limit {}). {}'.format(ctx['memjobs'], ctx['memlimit']
				, ctx['memchartText']))
			for tbl in p.tables:
				out.append('')
				out.append('== {} ({}) =='.format(tbl.title, self._countText(tbl)))
				if not tbl.rows:
					out.append(tbl.empty)
					continue
				grid = [list(tbl.cols)]
				for depth, kind, rec, ctx_ in tbl.rows:
					cells = [_cellText(rec, c, self.today, self.clock0) or '-' for c in tbl.cols]
					if tbl.tree:
						cells[0] = _treeIndent(depth, '  ') + ('+ ' if kind == 't' else '- ') + cells[0]
					grid.append(cells)
				widths = [max(len(r[i]) for r in grid) for i in range(len(tbl.cols))]
				for irow, cells in enumerate(grid):
					out.append('  '.join(c.ljust(w) if i == 0 or not self._numeric(tbl.cols[i]) else c.rjust(w)
						for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
					if irow == 0:
						out.append('  '.join('-' * w for w in widths))
				if tbl.note:
					out.append(tbl.note)
		return '\n'.join(out) + '\n'

	@staticmethod
	def _numeric(col):
		return _column(col).kind in _NUMKINDS and _column(col).kind != 'time'

	@staticmethod
	def _countText(tbl):
		if tbl.limited:
			return 'first {} of {} matching'.format(len([r for r in tbl.rows if r[1] == 'j']) if tbl.tree
				else len(tbl.rows), tbl.matched)
		return '{} {}'.format(tbl.matched, 'job' if tbl.matched == 1 else 'jobs')

	# HTML ------------------------------------------------------------------------------------------------
	def context(self):
		"""Template variables (the original's names plus this UI's)"""
		p = self.p
		host = self.app.hostInfo()
		ctx = {'title': _Page.TITLES[p.page], 'pageDescr': _Page.DESCRS[p.page], 'page': p.page
			, 'pageRefresh': None if p.opts.refresh in (None, 0) else max(2, p.opts.refresh)
			, 'errmsg': p.errmsg, 'summary': p.snap is not None, 'lim': p.opts.lim
			, 'ramUsage': host['ramUsage'], 'ramTotal': host['ramTotal'], 'cpuLoad': host['cpuLoad']
			, 'lcpus': WebUiApp.LCPUS, 'cpuCores': WebUiApp.CPUCORES, 'cpuNodes': WebUiApp.CPUNODES
			, 'wksmax': WebUiApp.WKSMAX, 'restApi': p.page == 'apinfo'}
		ctx['ramText'] = '-' if host['ramUsage'] is None else '{} of {} ({:.0%})'.format(_fmtMem(host['ramUsage'])
			, _fmtMem(host['ramTotal']), host['ramUsage'] / host['ramTotal'] if host['ramTotal'] else 0)
		ctx['cpuText'] = '-' if host['cpuLoad'] is None else '{:.0%} of {} logical CPU{}'.format(host['cpuLoad']
			, host['lcpus'], '' if host['lcpus'] == 1 else 's')
		ctx['nav'] = self.navLinks()
		ctx['pools'] = self.poolLinks()
		ctx['generated'] = time.strftime('%Y-%m-%d %H:%M:%S %Z')
		ctx['textBrowser'] = False
		if p.snap is None:
			ctx.update(workers=0, jobs=0, jobsDone=0, jobsFailed=0, tasks=0, tasksFailed=0, tasksRoot=0
				, tasksRootFailed=0)
			ctx['poolName'] = ''
			return ctx
		snap = p.snap
		summ = p.summary()
		ctx.update(summ.json())
		ctx['wksmax'] = snap.wkslim
		prog = p.progress()
		ctx['prog'] = prog
		ctx['poolName'] = p.entry.title()
		ctx['poolState'] = p.state()
		ctx['elapsed'] = _fmtDuration(prog['elapsed']) if prog['elapsed'] is not None else ''
		ctx['eta'] = _fmtDuration(prog['eta']) if prog['eta'] is not None else ''
		ctx['started'] = _fmtClock(self.clock0 + p.tstart, self.today) if p.tstart is not None else ''
		ctx['percent'] = '{:.0%}'.format(prog['fraction']) if prog['fraction'] is not None else '-'
		ctx['memlimit'] = _fmtMem(snap.memlimit) if snap.memlimit else 'none'
		ctx['memjobs'] = _fmtMem(snap.memjobs) if snap.memjobs is not None else '-' if getattr(snap
			, 'memmeasured', True) else 'not measured (no psutil)'
		ctx['snapAge'] = _fmtDuration(max(0., p.now - snap.tsnap))
		total = prog['total'] or 1
		ctx['bar'] = [(k, _COLORS[k], 100. * prog[k] / total, prog[k]) for k in ('done', 'failed', 'running'
			, 'queued') if prog[k]]
		ctx['timeline'], ctx['timelineText'] = self.svgTimeline()
		ctx['memchart'], ctx['memchartText'] = self.svgMemory()
		ctx['legend'] = [(k, c) for k, c in _COLORS.items() if k != 'queued']
		ctx['tables'] = [self.htmlTable(t) for t in p.tables]
		return ctx

	def navLinks(self):
		p = self.p
		keep = {}
		if p.opts.pool:
			keep['pool'] = p.opts.pool
		if p.opts.refresh is not None:
			keep['refresh'] = p.opts.refresh
		qstr = ('?' + urlencode(keep)) if keep else ''
		return [(route + qstr, title, page == p.page) for route, title, page in (('/', 'Failures', 'failures')
			, ('/jobs', 'Jobs', 'jobs'), ('/tasks', 'Tasks', 'tasks'), ('/apinfo', 'API', 'apinfo'))]

	def poolLinks(self):
		p = self.p
		pools = self.app.poolList()
		if len(pools) < 2:
			return []
		route = {'failures': '/', 'jobs': '/jobs', 'tasks': '/tasks'}.get(p.page, '/')
		cur = p.entry.key if p.entry is not None else None
		return [(route + '?' + urlencode({'pool': pl['index']}), '{} ({})'.format(pl['name'], pl['state'])
			, pl['index'] == cur) for pl in pools]

	def htmlTable(self, tbl):
		"""A table as lists of escaped-later texts: header (col, descr, numeric) and rows (class, cells)"""
		rows = []
		for depth, kind, rec, ctx in tbl.rows:
			cells = []
			for i, col in enumerate(tbl.cols):
				text = _cellText(rec, col, self.today, self.clock0)
				cls = 'n' if self._numeric(col) else ''
				if i == 0 and tbl.tree:
					text = _treeIndent(depth, '\u00a0\u00a0\u00a0') + ('\u25b8 ' if kind == 't' else '\u00b7 ') + text
				if col == 'state' and text:
					cls = 'st st-' + text
				elif col in ('code', 'rcode') and rec.get('code') not in (None, 0):
					cls += ' bad'
				cells.append((text, cls))
			rows.append(((('task' if kind == 't' else 'job') + (' ctx' if ctx else '')), cells))
		return {'key': tbl.key, 'title': tbl.title, 'count': self._countText(tbl), 'empty': tbl.empty
			, 'note': tbl.note, 'limited': tbl.limited
			, 'cols': [(c, _column(c).descr, self._numeric(c)) for c in tbl.cols], 'rows': rows}

	# SVG charts --------------------------------------------------------------------------------------------
	def svgTimeline(self, width=960):
		"""The jobs per worker slot over time, coloured by outcome -> (svg markup, text summary)"""
		p = self.p
		snap = p.snap
		recs = p.recs
		bars = []
		hist = snap.history[-_TIMELINE_BARS:]
		for jinf in hist:
			slot, tstart = getattr(jinf, 'wslot', None), getattr(jinf, 'tstart', None)
			if slot is None or tstart is None:
				continue
			tstop = getattr(jinf, 'tstop', None)
			bars.append((slot, tstart, tstop if tstop is not None else tstart, recs.outcome(jinf), jinf.name))
		for ujob in snap.running:
			if ujob.wslot is not None and ujob.tstart is not None:
				bars.append((ujob.wslot, ujob.tstart, p.now, 'running', ujob.name))
		nslots = max([snap.wkslim or 1] + [b[0] + 1 for b in bars])
		if not bars:
			return '', 'No job has run yet.'
		t0 = min(b[1] for b in bars)
		if p.tstart is not None and p.tstart < t0:
			t0 = p.tstart
		t1 = max(max(b[2] for b in bars), p.now if snap.running else 0)
		span = max(t1 - t0, 1e-3)
		left, right, top, axis = 64, 12, 6, 22
		rowh = max(4, min(22, int(240 / nslots)))
		height = top + rowh * nslots + axis
		plotw = width - left - right
		parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" id="timeline"'
			' viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="11">'.format(
			w=width, h=height), '<title>Timeline of the jobs per worker slot</title>']
		lblstep = max(1, int(math.ceil(12. / rowh)))
		for slot in range(nslots):
			y = top + slot * rowh
			if slot % 2:
				parts.append('<rect x="{}" y="{}" width="{}" height="{}" fill="#f3f5f8"/>'.format(left, y, plotw, rowh))
			if slot % lblstep == 0:
				parts.append('<text x="{}" y="{:.1f}" text-anchor="end" fill="#555">slot {}</text>'.format(left - 6
					, y + rowh / 2. + 4, slot))
		step = _niceTimeStep(span, 8)
		tick = 0.
		while tick <= span + 1e-9:
			x = left + plotw * tick / span
			parts.append('<line x1="{x:.1f}" x2="{x:.1f}" y1="{}" y2="{}" stroke="#dde2e8"/>'
				'<text x="{x:.1f}" y="{}" text-anchor="middle" fill="#555">{}</text>'.format(top, top + rowh * nslots
				, height - 6, _hesc(_fmtDuration(tick) if tick else '0'), x=x))
			tick += step
		counts = collections.Counter()
		for slot, tstart, tstop, outcome, name in bars:
			counts[outcome] += 1
			x = left + plotw * (tstart - t0) / span
			w = max(1.5, plotw * (tstop - tstart) / span)
			parts.append('<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}" stroke="#fff" stroke-width="0.6"'
				' class="bar {}"><title>{}'
				'</title></rect>'.format(x, top + slot * rowh + 1, w, max(rowh - 2, 2), _COLORS[outcome], outcome
				, _hesc('{}: {}, {} from {}'.format(name, outcome, _fmtDuration(tstop - tstart)
				, _fmtClock(self.clock0 + tstart, self.today)))))
		parts.append('</svg>')
		text = 'Timeline: {} jobs in {} worker slots over {} ({}).'.format(len(bars), nslots, _fmtDuration(span)
			, ', '.join('{} {}'.format(n, k) for k, n in sorted(counts.items())))
		return ''.join(parts), text

	def svgMemory(self, width=960, height=190):
		"""Memory of the pool's jobs over time against its limit -> (svg markup, text summary)"""
		p = self.p
		snap = p.snap
		trace = [(s[0], s[1]) for s in snap.memtrace if s and s[1] is not None]
		src = 'pool samples'
		if len(trace) < 2:
			trace = list(p.entry.memtrace)
			src = 'Web UI snapshots'
		if len(trace) < 2:
			return '', 'No memory samples yet.' if getattr(snap, 'memmeasured', True) else \
				'Memory is not measured: psutil is not installed.'
		if len(trace) > _MEMCHART_POINTS:  # Keep the peaks: the maximum of each bucket
			k = int(math.ceil(len(trace) / float(_MEMCHART_POINTS)))
			trace = [(trace[i][0], max(m for _, m in trace[i:i + k])) for i in range(0, len(trace), k)]
		t0, t1 = trace[0][0], trace[-1][0]
		span = max(t1 - t0, 1e-3)
		peak = max(m for _, m in trace)
		ymax = max(peak, snap.memlimit or 0, 1. / 1024) * 1.12
		left, right, top, axis = 64, 12, 8, 22
		plotw, ploth = width - left - right, height - top - axis

		def xy(t, m):
			return left + plotw * (t - t0) / span, top + ploth * (1 - m / ymax)
		parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" id="memchart"'
			' viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="11">'.format(
			w=width, h=height), '<title>Memory of the jobs over time</title>']
		# Round steps in the unit shown: MB below 1 GB (a GB step of 0.2 would read 205 MB)
		ystep = _niceStep(ymax, 4) if ymax >= 1 else _niceStep(ymax * 1024, 4) / 1024
		yv = 0.
		while yv <= ymax:
			y = xy(t0, yv)[1]
			parts.append('<line x1="{}" x2="{}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde2e8"/><text x="{}" y="{:.1f}"'
				' text-anchor="end" fill="#555">{}</text>'.format(left, left + plotw, left - 6, y + 4, _hesc(
				_fmtMem(yv)), y=y))
			yv += ystep
		step = _niceTimeStep(span, 8)
		tick = 0.
		while tick <= span + 1e-9:
			x = left + plotw * tick / span
			parts.append('<text x="{:.1f}" y="{}" text-anchor="middle" fill="#555">{}</text>'.format(x, height - 6
				, _hesc(_fmtDuration(tick) if tick else '0')))
			tick += step
		pts = ' '.join('{:.1f},{:.1f}'.format(*xy(t, m)) for t, m in trace)
		x0, ybase = xy(t0, 0)
		x1 = xy(t1, 0)[0]
		parts.append('<polygon points="{:.1f},{:.1f} {} {:.1f},{:.1f}" fill="#3b7dd8" fill-opacity="0.18"/>'
			'<polyline points="{}" fill="none" stroke="#3b7dd8" stroke-width="1.6" class="mem"/>'.format(x0, ybase
			, pts, x1, ybase, pts))
		if snap.memlimit:
			y = xy(t0, snap.memlimit)[1]
			parts.append('<line x1="{}" x2="{}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d64545" stroke-width="1.4"'
				' stroke-dasharray="6 4" class="limit"/><text x="{}" y="{:.1f}" text-anchor="end" fill="#d64545">'
				'limit {}</text>'.format(left, left + plotw, left + plotw - 4, y - 4, _hesc(_fmtMem(snap.memlimit))
				, y=y))
		parts.append('</svg>')
		# Below the chart, after the current memory and the limit (the summary, the txt page's line)
		text = 'Peak {} over {} ({} {}).'.format(_fmtMem(peak), _fmtDuration(span), len(trace), src)
		return ''.join(parts), text

# === API manual ========================================================================================

_API_EXAMPLES = ('/?fmt=json', '/jobs?fmt=txt&lim=10', '/jobs?cols=name,pid,duration,memsize,cputime&refresh=5'
	, '/tasks?flt=rcode*:-15|duration:1.5..3600|category*:cat1..cat5'
	, '/jobs?flt=rcode*:..0|duration:1.5..10d2h15.7|task', '/?flt=duration:2d5h12.8..&fmt=txt'
	, '/jobs?flt=state:running|duration:1h2m5..', '/?flt=reason:timeout&cols=name,task,duration')

_API_PARAMS = collections.OrderedDict((
	('fmt', 'htm (default), json or txt (a plain table for terminals)'),
	('cols', 'comma-separated columns to list (name is always first); default: per table'),
	('flt', 'filter: items <prop>[*][:<beg>[..<end>]] separated by |; <prop> alone: present and not empty;'
		' :<v> exact match; :<beg>..<end> half-open range [beg, end), an omitted bound is open; * after the'
		' property: items without it pass; durations (duration, timeout, cputime, utime, stime, wtime) and'
		' tstart/tstop (seconds since the pool start) accept [<d>d][<h>h][<m>m][<s>], e.g. 2d5h12.8 or 1h2m5;'
		' memory in GB'),
	('lim', 'at most this many items per table, 0: all; default {}'.format(WUIJOBS_LIMIT)),
	('refresh', 'reload the page every max(2, refresh) seconds; 0 or empty: never'),
	('pool', 'the pool to show, by index or name (a Web UI can serve several pools); default: the newest'),
))

_API_JSON = collections.OrderedDict((
	('page', 'failures | jobs | tasks'),
	('cpuLoad', 'CPU load of the host, fraction 0..1 (null without psutil)'),
	('ramUsage, ramTotal', 'used and usable RAM of the host, GB'),
	('lim', 'the item limit applied'),
	('pools', '[{index, name, state}] the pools this Web UI serves'),
	('pool', '{name, index, state (running|idle|terminated), alive, wkslim, memlimit (GB, 0: none), tstart'
		' (epoch s), snapshotAge (s), memjobs (GB of the running jobs, null: not measured), memMeasured'
		' (false without psutil)}'),
	('progress', '{done, failed, running, queued, total, fraction, elapsed (s), eta (s, estimate)}'),
	('summary', '{workers, jobs, jobsDone, jobsFailed, tasks, tasksFailed, tasksRoot, tasksRootFailed}'),
	('jobsInfo, workersInfo, doneInfo', '[[column names], [values]...]: typed values (numbers, strings,'
		' null); times as epoch seconds, durations in s, memory in GB (null: not measured). / lists failed'
		' jobs without a task; /jobs: workersInfo running, jobsInfo queued, doneInfo recently finished.'
		' Without cols the columns are, in this order, the original\'s: ' + ' '.join(_JSON_JOB[:10])
		+ ', then ours: ' + ' '.join(_JSON_JOB[10:]) + '; with cols: name, then the requested ones'),
	('tasksInfo', '[{compound, ident, data}]: a task hierarchy as the original: compound true: task column'
		' names, false: job column names, null: values; ident: depth; context: true for a task shown only'
		' as the owner of listed items. Without cols the task rows are ' + ' '.join(_JSON_TASK[:8])
		+ ', then ' + ' '.join(_JSON_TASK[8:]) + ' and the job rows as in jobsInfo'),
	('tasksInfoWide', 'the widest row (ident + columns)'),
	('jobsInfoMatched, workersInfoMatched, doneInfoMatched, tasksInfoMatched', 'items matching the filter'
		' (more than listed when limited)'),
	('errmsg', 'present when there is nothing to show, e.g. no pool attached'),
))


def _apiManualText():
	"""The API manual as plain text"""
	out = ['PyExPool Web UI: REST API', '', 'Routes (GET): / failures, /jobs jobs, /tasks tasks, /apinfo this'
		' manual', '', 'Parameters:']
	out.extend('  {:8} {}'.format(k, v) for k, v in _API_PARAMS.items())
	out.extend(['', 'Columns:'])
	out.extend('  {:9} {:5} {:6} {}'.format(k, c.kind, {'jt': 'both', 'j': 'jobs', 't': 'tasks'}[c.objs]
		, c.descr) for k, c in _COLUMNS.items())
	out.extend(['', 'JSON (fmt=json):'])
	out.extend('  {}: {}'.format(k, v) for k, v in _API_JSON.items())
	out.extend(['', 'Examples:'] + ['  ' + e for e in _API_EXAMPLES])
	return '\n'.join(out) + '\n'

# === Server ============================================================================================


def _isLoopback(host):
	"""Whether host names this machine only: localhost or a loopback address"""
	if host.lower() == 'localhost':
		return True
	try:
		return ipaddress.ip_address(host.strip('[]')).is_loopback
	except ValueError:
		return False


def _securityHeaders(tls):
	"""The headers of every answer: no caching, no referrer, no sniffing, no framing, nothing loaded from
	elsewhere (the pages use inline styles and inline SVG only, no script, image, font or form)"""
	hdrs = [('Cache-Control', 'no-store'), ('Referrer-Policy', 'no-referrer'), ('X-Content-Type-Options', 'nosniff')
		, ('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none';"
		" form-action 'none'; frame-ancestors 'none'")]
	if tls:
		hdrs.append(('Strict-Transport-Security', 'max-age=31536000'))
	return hdrs


class _ThreadingServer(ThreadingMixIn, WSGIServer):
	"""A wsgiref server answering each connection in its own daemon thread, at most _UI_CONN_MAX at once

	pacer: _Pacer  - set by WebUiApp.start(): charged by each request thread
	sslctx: ssl.SSLContext  - set by WebUiApp.start() to serve HTTPS, else None
	The others wait in the listen backlog: get_request() accepts only with a free slot, closing the
	connections still silent after _CLIENT_GRACE s when another one waits.
	"""
	daemon_threads = True
	allow_reuse_address = True
	block_on_close = False
	request_queue_size = _LISTEN_BACKLOG
	sslctx = None

	def server_activate(self):
		super().server_activate()
		self._slots = threading.BoundedSemaphore(_UI_CONN_MAX)  # Free connection slots
		self._silent = {}  # _QuietHandler -> perf_counter when it began to read its request, until it has it
		self._silentlock = threading.Lock()  # Guards _silent

	def get_request(self):
		"""Accept a connection when a slot is free; an OSError makes serve_forever() come back (and check
		for shutdown) while all slots are busy"""
		if not self._slots.acquire(blocking=False):
			self._closeSilent()
			if not self._slots.acquire(timeout=0.05):
				raise OSError('all connection slots are busy')
		try:
			return super().get_request()
		except BaseException:
			self._slots.release()
			raise

	def process_request(self, request, client_address):
		try:
			super().process_request(request, client_address)
		except BaseException:  # No thread started (e.g. the thread limit): its slot is free again
			self._slots.release()
			raise

	def process_request_thread(self, request, client_address):
		try:
			super().process_request_thread(request, client_address)
		finally:
			self._slots.release()

	def silent(self, handler, tstart):
		"""Register a connection reading its request since tstart (perf_counter), or unregister it (None)"""
		with self._silentlock:
			if tstart is None:
				self._silent.pop(handler, None)
			else:
				self._silent[handler] = tstart

	def _closeSilent(self):
		"""Shut down the connections silent for over _CLIENT_GRACE s: their threads end and free their slots"""
		with self._silentlock:  # A handler unregisters under this lock before its socket is closed
			told = time.perf_counter() - _CLIENT_GRACE
			for handler in [h for h, tstart in self._silent.items() if tstart < told]:
				del self._silent[handler]
				try:  # The socket's own shutdown(2), also under TLS: its reader's recv() returns at once
					socket.socket.shutdown(handler.connection, socket.SHUT_RDWR)
				except OSError:  # Already gone
					pass

	def handle_error(self, request, client_address):
		"""A client that timed out or went away is dropped silently; other errors are printed"""
		if not isinstance(sys.exc_info()[1], (TimeoutError, ConnectionError, ssl.SSLError)):
			super().handle_error(request, client_address)


class _UnixServer(_ThreadingServer):
	"""The server on a Unix socket, created 0600: only its owner (and root) can connect (connect(2) needs
	write permission on the socket file, unix(7))"""
	address_family = socket.AF_UNIX
	allow_reuse_address = False

	def server_bind(self):
		path = self.server_address
		try:  # A socket left by a process that died: replaced if nothing answers on it
			if stat.S_ISSOCK(os.lstat(path).st_mode):
				with socket.socket(socket.AF_UNIX) as probe:
					try:
						probe.connect(path)
					except ConnectionRefusedError:
						os.unlink(path)
		except FileNotFoundError:
			pass
		self.socket.bind(path)
		os.chmod(path, 0o600)  # Before listen(): no one can connect to it earlier
		self.server_name = 'localhost'
		self.server_port = 0
		self.setup_environ()


class _Pacer(object):
	"""One request answered at a time, and the CPU time of the request threads within _UI_CPU_SHARE
	of one core over time: the pool's thread shares the GIL with them

	Entered around the application's call: the other requests wait for their turn on a lock, holding no
	GIL. Each answered request charges its CPU time (reading, answering, writing) as a debt of
	cost / share wall seconds; a request is answered once the debt is below _UI_CPU_BURST, so a lone
	user never waits.
	"""

	def __init__(self, share=_UI_CPU_SHARE, burst=_UI_CPU_BURST):
		self.share = share
		self.burst = burst
		self._gate = threading.Lock()  # Held while a request is answered
		self._lock = threading.Lock()  # Guards tfree
		self.tfree = 0.  # perf_counter() at which the debt is paid

	def __enter__(self):
		self._gate.acquire()
		delay = self.tfree - self.burst - time.perf_counter()
		if delay > 0:
			time.sleep(delay)
		return self

	def __exit__(self, etype, evalue, tracebk):
		self._gate.release()

	def charge(self, cost):
		"""Charge cost CPU seconds of an answered request"""
		with self._lock:
			self.tfree = max(self.tfree, time.perf_counter()) + cost / self.share


class _QuietHandler(WSGIRequestHandler):
	"""One request per connection: read within _CLIENT_TIMEOUT and a few KB, else closed or refused (414,
	431); no request log on stderr; the CPU of the request threads is paced (_Pacer)"""
	timeout = _CLIENT_TIMEOUT
	_sockfile = None  # The socket's reader, replaced by the request read in memory

	def setup(self):
		if not isinstance(self.client_address, tuple):  # A Unix socket's peer has no address
			self.client_address = ('unix', 0)
		if self.server.sslctx is not None:  # The handshake is done in handle(), within the deadline
			self.request = self.server.sslctx.wrap_socket(self.request, server_side=True
				, do_handshake_on_connect=False)
		super().setup()

	def handle(self):
		cpu0 = time.thread_time()
		try:
			if self._readRequest():
				if not self.parse_request():  # An error was answered
					return
				handler = ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ()
					, multithread=False)
				handler.request_handler = self
				handler.run(self.server.get_app())
		finally:
			self.server.pacer.charge(time.thread_time() - cpu0)

	def _readRequest(self):
		"""Read the request line and headers before the deadline: True, else False (closed or refused)"""
		sock = self.connection
		tstart = time.perf_counter()
		deadline = tstart + self.timeout
		data = b''
		self.server.silent(self, tstart)
		try:
			if self.server.sslctx is not None:
				sock.settimeout(self.timeout)
				sock.do_handshake()
			while True:
				end = _RE_HEAD_END.search(data)
				eol = data.find(b'\n')
				if eol > _REQUEST_LINE_MAX or (eol < 0 and len(data) > _REQUEST_LINE_MAX):
					return self._refuse(414)
				if (end.end() if end else len(data)) > _REQUEST_HEAD_MAX:
					return self._refuse(431)
				if end:
					break
				tleft = deadline - time.perf_counter()
				if tleft <= 0:
					return False
				sock.settimeout(tleft)
				chunk = sock.recv(4096)
				if not chunk:
					return False
				data += chunk
		except OSError:  # Timed out, reset, shut down by _closeSilent, a failed TLS handshake
			return False
		finally:
			self.server.silent(self, None)
		sock.settimeout(self.timeout)
		line, _, rest = data.partition(b'\n')
		self.raw_requestline = line + b'\n'
		self._sockfile, self.rfile = self.rfile, io.BytesIO(rest)  # parse_request() reads the headers here
		return True

	def _refuse(self, code):
		"""Answer an error status to a request that could not be read; False"""
		self.requestline = self.request_version = self.command = ''
		self.send_error(code)
		return False

	def end_headers(self):
		"""The answers of the handler itself (errors before the application) have the headers of all answers"""
		for hdr in _securityHeaders(self.server.sslctx is not None):
			self.send_header(*hdr)
		super().end_headers()

	def finish(self):
		try:
			super().finish()
		finally:
			if self._sockfile is not None:
				self._sockfile.close()
			if self.server.sslctx is not None:  # The server closes the socket it accepted, not this wrapper
				self.server.shutdown_request(self.request)

	def log_message(self, *args):  # noqa: D401 - wsgiref's hook
		"""Silence the per-request log lines (they would show a token given in a URL)"""


class _PoolEntry(object):
	"""A pool served by a WebUiApp: a weak reference to it and its latest snapshot"""
	__slots__ = ('key', 'ref', 'name', 'snap', 'memtrace', 'tlastmem', 'tlast')

	def __init__(self, key, pool):
		self.key = key
		try:  # Weak: the Web UI must not keep a pool alive (its __del__ terminates it)
			self.ref = weakref.ref(pool)
		except TypeError:
			self.ref = None
		self.name = getattr(pool, 'name', None)
		self.snap = None  # The latest snapshot (immutable), replaced as a whole by publish()
		self.memtrace = collections.deque(maxlen=_UI_MEMTRACE)  # (perf_counter, GB) of the snapshots
		self.tlastmem = None
		self.tlast = None  # The last known start of the pool's run (the pool resets _tstart when a join ends)

	def title(self):
		"""A display name of the pool"""
		name = self.snap.name if self.snap is not None and self.snap.name else self.name
		return name or 'pool {}'.format(self.key)

	def gone(self):
		"""Whether the pool no longer exists"""
		return self.ref is not None and self.ref() is None


class WebUiApp(threading.Thread):
	"""The Web UI: a thread serving the state of one or several execution pools over HTTP.

	host: str  - the address to bind: localhost by default; 'unix:/path/ui.sock' serves on a Unix socket
		created 0600 (curl --unix-socket, or ssh -L 8080:/path/ui.sock from a laptop); a non-loopback
		address (e.g. '0.0.0.0') exposes it to the network on purpose: it needs the token
	port: int  - the TCP port, 0 picks a free one (see .port after start())
	name: str  - the thread name
	daemon: bool  - daemon thread; None (default) means True: the UI never keeps a finished program alive
	group, args, kwargs  - accepted for compatibility with threading.Thread and the original; unused
	token: None | str | False  - None (default): a random token (secrets, 192 bits); a str of at least 16
		characters among A-Z a-z 0-9 . _ ~ -: that one; False: no authentication, only on a loopback address
		or a Unix socket. A request carries it as ?token= (the answer sets a cookie and redirects to the
		same URL without it), as that cookie or as the header 'Authorization: Bearer TOKEN'; else 401
	allowed_hosts: iterable of str  - host names a request may name in its Host header besides the bound
		address, localhost and the loopback addresses (e.g. the server's name when bound to 0.0.0.0); any
		other gets 403, so that a web page cannot reach the UI through DNS rebinding
	certfile, keyfile: str  - a PEM certificate (chain) and its private key: serve HTTPS (else a non-loopback
		address warns once that the traffic, the token included, is not encrypted)
	views: str  - a folder of the user's own templates, looked up first

	A pool constructed with ExecPool(..., webuiapp=app) registers itself and publishes snapshots of its
	state; the first pool starts the thread, which prints app.url (with the token) once on stderr and writes
	it to app.urlfile, readable by its owner only and removed by stop(). Class attributes RAM (GB), LCPUS,
	CPUCORES, CPUNODES and WKSMAX are set by the first registered pool.
	"""
	RAM = None
	LCPUS = None
	CPUCORES = None
	CPUNODES = None
	WKSMAX = None
	_serving = set()  # The apps serving now (they lowered the switch interval)
	_switchprev = None  # The interpreter's switch interval before the first of them started
	_servinglock = threading.Lock()  # Guards _serving and _switchprev, _urlseq
	_urlseq = 0  # Number of the next URL file of this process
	_lookups = {}  # Template folders (tuple) -> the list given to bottle, whose template cache is keyed by its id

	def __init__(self, host='localhost', port=8080, name=None, daemon=None, group=None, args=(), kwargs=None
	, *, token=None, allowed_hosts=(), certfile=None, keyfile=None, views=None):
		if bottle is None:
			raise ImportError('the Web UI needs bottle: pip install bottle')
		if not isinstance(host, str) or not host or host == 'unix:':
			raise TypeError('host must be a non-empty str (an address or unix:PATH), not {!r}'.format(host))
		if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
			raise ValueError('port must be an int in 0..65535, not {!r}'.format(port))
		unixpath = os.path.abspath(host[5:]) if host.startswith('unix:') else None
		if token is None:
			token = secrets.token_urlsafe(_TOKEN_BYTES)
		elif token is False:
			if unixpath is None and not _isLoopback(host):
				raise ValueError('token=False (no authentication) is allowed only on a loopback address or a Unix'
					' socket, not on host {!r}'.format(host))
		elif not isinstance(token, str):
			raise TypeError('token must be None (a random one), a str or False, not a {}'.format(type(token).__name__))
		elif not re.match(r'[A-Za-z0-9._~-]{%d,}\Z' % _TOKEN_MIN, token):  # The value is never shown
			raise ValueError('token must have at least {} characters among A-Z a-z 0-9 . _ ~ -, this one has {}'
				' characters'.format(_TOKEN_MIN, len(token)))
		allowed_hosts = (allowed_hosts,) if isinstance(allowed_hosts, str) else tuple(allowed_hosts)
		if not all(isinstance(name_, str) and name_ for name_ in allowed_hosts):
			raise TypeError('allowed_hosts must be host names (str), not {!r}'.format(allowed_hosts))
		if keyfile is not None and certfile is None:
			raise ValueError('keyfile needs certfile (the certificate), not certfile=None')
		sslctx = None
		if certfile is not None:  # Loaded now: a wrong file fails here, not at the first request
			sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
			sslctx.load_cert_chain(certfile, keyfile)
		if views is not None and not os.path.isdir(views):
			raise ValueError('views must be a folder of templates, not {!r}'.format(views))
		# A named thread: its name is the app's in the messages (the default would be Thread-N)
		super().__init__(group=group, name='mpewui' if name is None else name, daemon=True if daemon is None
			else daemon)
		self.host = host  # Address the server binds, or unix:PATH
		self.port = port  # Its port (the actual one once started)
		self.token = token or None  # str: what a request must carry; None: no authentication
		self.urlfile = None  # The file holding url (owner-only) while serving
		self.unixpath = unixpath  # The Unix socket's absolute path, or None on TCP
		self.args = tuple(args)  # Unused, kept as the original's Thread arguments
		self.kwargs = dict(kwargs or {})
		self.cmd = UiCmd(None)  # The original's exchange slot; unused by the snapshot design
		self._wildcard = unixpath is None and host in ('0.0.0.0', '::', '[::]')  # Bound to every address
		hosts = {'localhost', host.strip('[]').lower()} if unixpath is None else {'localhost'}
		if self._wildcard:  # Reached by the machine's name (its IP addresses are accepted as such)
			hosts.add(socket.gethostname().lower())
		self._hosts = frozenset(hosts.union(h.lower() for h in allowed_hosts))  # Allowed Host header names
		self._sslctx = sslctx
		self._cookie = 'pyexpool-' + hmac.new(self.token.encode(), b'cookie', 'sha256').hexdigest()[:12] if (
			self.token) else None  # The cookie's name: one per token (cookies are per host, not per port)
		vdirs = ((views,) if views is not None else ()) + _VIEWS
		self._views = WebUiApp._lookups.setdefault(vdirs, list(vdirs))  # Template folders, in their order
		self._lock = threading.Lock()  # Guards _pools and the entries' snapshots
		self._pools = []  # _PoolEntry, in registration order
		self._seq = 0  # Index of the next registered pool
		self._server = None  # The bound _ThreadingServer once started
		self._hostinfo = (0., None)  # (perf_counter, dict) cached host load
		self._cache = collections.OrderedDict()  # Request key -> (snapshot, perf_counter, type, body bytes)
		self._pacer = _Pacer()  # One request answered at a time, the CPU of the request threads bounded
		self.app = bottle.Bottle(catchall=True)  # An app of its own: several WebUiApps can coexist
		self.app.default_error_handler = self._errorPage
		for route, page in (('/', 'failures'), ('/jobs', 'jobs'), ('/tasks', 'tasks'), ('/apinfo', 'apinfo')):
			self.app.route(route, 'GET', self._handler(page), name=page)
		self.app.route('/favicon.ico', 'GET', self._favicon)
		if psutil is not None:
			psutil.cpu_percent(None)  # The first call only starts the measurement

	def __repr__(self):
		return '<WebUiApp {} on {} {}>'.format(self.name, self.host if self.unixpath else '{}:{}'.format(self.host
			, self.port), 'serving' if self.is_alive() else 'stopped')

	@property
	def url(self):
		"""The URL of the UI with its token, e.g. http://127.0.0.1:8080/?token=...; on a Unix socket
		http+unix://%2Fpath%2Fui.sock/?token=... (curl --unix-socket /path/ui.sock http://localhost/?token=...)"""
		scheme = 'https' if self._sslctx is not None else 'http'
		if self.unixpath is not None:
			base = '{}+unix://{}'.format(scheme, quote(self.unixpath, safe=''))
		else:
			host = socket.gethostname() if self._wildcard else self.host.strip('[]')
			base = '{}://{}:{}'.format(scheme, '[{}]'.format(host) if ':' in host else host, self.port)
		return base + '/' + ('?token=' + self.token if self.token else '')

	# Lifecycle -----------------------------------------------------------------------------------------
	def start(self):
		"""Bind the server (an OSError, e.g. the port is in use, is raised here) and start serving; print
		the URL on stderr and write it to the URL file"""
		if self.unixpath is not None:
			self._server = _UnixServer(self.unixpath, _QuietHandler)
		else:
			server = _ThreadingServer
			if ':' in self.host:
				server = type('_ThreadingServer6', (_ThreadingServer,), {'address_family': socket.AF_INET6})
			self._server = server((self.host.strip('[]'), self.port), _QuietHandler)
			self.port = self._server.server_port
		self._server.set_app(self._wsgi)
		self._server.pacer = self._pacer
		self._server.sslctx = self._sslctx
		atexit.register(self._removeFiles)
		self.urlfile = self._writeUrlFile()
		print('WebUI "{}" serves {}{}'.format(self.name, self.url, ' (also in {}, readable by you only)'.format(
			self.urlfile) if self.urlfile else ''), file=sys.stderr, flush=True)
		if self.unixpath is None and not _isLoopback(self.host) and self._sslctx is None:
			print('WARNING, the WebUI "{}" is reachable from the network on {} over plain HTTP: its pages and its'
				' token travel unencrypted; give certfile= and keyfile= to serve HTTPS'.format(self.name, self.host)
				, file=sys.stderr, flush=True)
		super().start()
		cls = WebUiApp
		with cls._servinglock:
			if not cls._serving and _SWITCH_INTERVAL and sys.getswitchinterval() > _SWITCH_INTERVAL:
				cls._switchprev = sys.getswitchinterval()
				sys.setswitchinterval(_SWITCH_INTERVAL)
			cls._serving.add(self)

	def _writeUrlFile(self):
		"""Write url to a new file readable by its owner only: in $XDG_RUNTIME_DIR/pyexpool/, else in
		~/.local/share/pyexpool/runtime/ (a 0700 folder); its path, or None (a warning says why)"""
		base = os.environ.get('XDG_RUNTIME_DIR')
		folder = os.path.join(base, 'pyexpool') if base and os.path.isdir(base) else os.path.join(
			os.path.expanduser('~'), '.local', 'share', 'pyexpool', 'runtime')
		cls = WebUiApp
		with cls._servinglock:
			cls._urlseq += 1
			path = os.path.join(folder, 'webui-{}-{}.url'.format(os.getpid(), cls._urlseq))
		try:
			os.makedirs(folder, mode=0o700, exist_ok=True)
			info = os.lstat(folder)
			if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
				raise OSError('{} is not a folder of this user'.format(folder))
			os.chmod(folder, 0o700)
			fdesc = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
			with os.fdopen(fdesc, 'w') as furl:
				furl.write(self.url + '\n')
		except OSError as err:
			print('WARNING, the WebUI "{}" could not write its URL file: {}'.format(self.name, err), file=sys.stderr)
			return None
		return path

	def _removeFiles(self):
		"""Remove the URL file and the Unix socket (at stop() or the program's exit: the UI is a daemon
		thread that a program may leave running)"""
		atexit.unregister(self._removeFiles)
		for path in (self.urlfile, self.unixpath if self._server is not None else None):
			if path is not None:
				try:
					os.remove(path)
				except FileNotFoundError:  # Removed by the user
					pass
		self.urlfile = None

	def _wsgi(self, environ, start_response):
		"""The WSGI application of the server: the checks of _refusal(), then the bottle app; one request at
		a time, paced; the security headers on every answer"""
		hdrs = _securityHeaders(self._sslctx is not None)

		def respond(status, headers, exc_info=None):
			return start_response(status, headers + hdrs, exc_info)
		with self._pacer:
			refusal = self._refusal(environ)
			if refusal is None:
				return self.app(environ, respond)
		status, headers, body = refusal
		respond(status, headers + [('Content-Type', 'text/plain; charset=UTF-8')])
		return [b''] if environ.get('REQUEST_METHOD') == 'HEAD' else [body.encode()]

	def _refusal(self, environ):
		"""None when the request may be answered, else (status, headers, body) of its refusal: 403 for a Host
		not served here, 405 for a method other than GET and HEAD, 401 without the token; a right token in
		the query string: 303 to the URL without it, setting the cookie"""
		host = environ.get('HTTP_HOST')
		if host is not None and not self._hostAllowed(host):
			return ('403 Forbidden', [], 'This Web UI does not answer requests for the host name {!r}. If you reached'
				' it through that name on purpose, its program can allow it: WebUiApp(..., allowed_hosts=[...])\n'
				.format(host[:100]))
		if environ.get('REQUEST_METHOD') not in ('GET', 'HEAD'):
			return '405 Method Not Allowed', [('Allow', 'GET, HEAD')], 'Only GET and HEAD are served\n'
		if self.token is None:
			return None
		query = environ.get('QUERY_STRING', '')
		given = [unquote_plus(p.partition('=')[2]) for p in query.split('&') if unquote_plus(p.partition('=')[0])
			== 'token']
		if given:
			if not all(self._isToken(tok) for tok in given):
				return self._unauthorized()
			keep = '&'.join(p for p in query.split('&') if p and unquote_plus(p.partition('=')[0]) != 'token')
			# The path as it came (WSGI gives its bytes as latin-1), never '//host' (a link to another site)
			path = '/' + quote(environ.get('PATH_INFO', '/').encode('latin-1'), safe='/;=,@:').lstrip('/')
			cookie = '{}={}; HttpOnly; SameSite=Strict; Path=/{}'.format(self._cookie, self.token, '; Secure'
				if self._sslctx is not None else '')
			return '303 See Other', [('Location', path + ('?' + keep if keep else '')), ('Set-Cookie', cookie)], (
				'Signed in: go to the same page without the token\n')
		scheme, _, cred = environ.get('HTTP_AUTHORIZATION', '').partition(' ')
		if scheme.lower() == 'bearer' and self._isToken(cred.strip()):
			return None
		try:
			morsel = http.cookies.SimpleCookie(environ.get('HTTP_COOKIE', '')).get(self._cookie)
		except http.cookies.CookieError:  # A malformed cookie header: as none
			morsel = None
		if morsel is not None and self._isToken(morsel.value):
			return None
		return self._unauthorized()

	def _isToken(self, given):
		"""Whether given is the token, compared in constant time"""
		return hmac.compare_digest(given.encode('utf-8', 'replace'), self.token.encode())

	@staticmethod
	def _unauthorized():
		"""The 401 answer: how to get the URL with the token (which it never shows)"""
		return ('401 Unauthorized', [('WWW-Authenticate', 'Bearer realm="pyexpool"')], 'This Web UI needs the'
			' token of its server. Open the URL that its program printed on its standard error when the Web UI'
			' started (WebUI "..." serves http://...?token=...), or the one in the file webui-PID-N.url that it'
			' wrote to $XDG_RUNTIME_DIR/pyexpool/ (else ~/.local/share/pyexpool/runtime/), readable by the user'
			' who runs it. Scripts can send the header "Authorization: Bearer TOKEN".\n')

	def _hostAllowed(self, host):
		"""Whether a Host header names this server: the bound address, localhost, a loopback address, a name
		of allowed_hosts; any IP address when bound to all of them (DNS rebinding needs a name)"""
		name = host.strip().lower()
		if name.startswith('['):
			name = name[1:].partition(']')[0]
		elif name.count(':') == 1:
			name = name.partition(':')[0]
		if name in self._hosts:
			return True
		try:
			addr = ipaddress.ip_address(name)
		except ValueError:
			return False
		return addr.is_loopback or self._wildcard

	def run(self):
		"""Serve until stop()"""
		try:
			self._server.serve_forever(poll_interval=0.1)
		finally:
			self._server.server_close()

	def stop(self, timeout=5):
		"""Stop serving and wait up to timeout seconds for the thread to end; remove the URL file"""
		server = self._server
		if server is not None and self.is_alive():
			server.shutdown()
			self.join(timeout)
		self._removeFiles()
		cls = WebUiApp
		with cls._servinglock:
			cls._serving.discard(self)
			if not cls._serving and cls._switchprev is not None:  # The last one restores it
				sys.setswitchinterval(cls._switchprev)
				cls._switchprev = None

	# Pool side: both calls come from the pool's thread and must stay cheap --------------------------------
	def register(self, pool):
		"""Attach a pool (called by ExecPool's constructor); starts the server on first use

		Fills the class attributes (RAM, LCPUS, CPUCORES, CPUNODES, WKSMAX) from the first pool.
		"""
		mod = sys.modules.get(type(pool).__module__)  # mpepool, however it was imported
		cls = WebUiApp
		if cls.RAM is None:
			cls.RAM = getattr(mod, '_RAM_LIMIT', None)
			afn = getattr(mod, 'AffinityMask', None)
			cls.LCPUS = getattr(afn, 'CPUS', None) or os.cpu_count()
			cls.CPUCORES = getattr(afn, 'CORES', None)
			cls.CPUNODES = getattr(afn, 'NODES', None)
			cls.WKSMAX = getattr(pool, '_wkslim', None)
		with self._lock:
			for entry in self._pools:
				if entry.ref is not None and entry.ref() is pool:
					return
			entry = _PoolEntry(self._seq, pool)
			self._seq += 1
			self._pools.append(entry)
			if len(self._pools) > _UI_POOLS_MAX:  # Forget the oldest pool that is gone (else the oldest)
				gone = [e for e in self._pools if e.gone()] or self._pools
				self._pools.remove(gone[0])
		if not self.is_alive() and self._server is None:
			try:
				self.start()
			except (OSError, RuntimeError) as err:
				print('WARNING, the WebUI "{}" could not start on {}: {}'.format(self.name, self.host
					if self.unixpath else '{}:{}'.format(self.host, self.port), err), file=sys.stderr)

	def publish(self, pool, snapshot):
		"""Make snapshot (from mpepool.uiSnapshot) the state shown for pool: a reference swap under a lock"""
		with self._lock:
			entry = None
			for ent in reversed(self._pools):
				if ent.ref is None or ent.ref() is pool:
					entry = ent
					break
			if entry is None:  # Published without register(): attach it now
				entry = _PoolEntry(self._seq, pool)
				self._seq += 1
				self._pools.append(entry)
			entry.snap = snapshot
			for col in snapshot.columns:
				_launcherColumn(col)
			if snapshot.tstart is not None:
				entry.tlast = snapshot.tstart
			memjobs = getattr(snapshot, 'memjobs', None)
			if memjobs is not None and entry.tlastmem != snapshot.tsnap:
				entry.memtrace.append((snapshot.tsnap, memjobs))
				entry.tlastmem = snapshot.tsnap

	# HTTP side -------------------------------------------------------------------------------------------
	def poolList(self):
		"""[{index, name, state}] of the served pools"""
		with self._lock:
			entries = list(self._pools)
		res = []
		for ent in entries:
			snap = ent.snap
			state = 'new' if snap is None else 'terminated' if not snap.alive else 'running' if (snap.running
				or snap.queuelen) else 'idle'
			res.append(collections.OrderedDict((('index', ent.key), ('name', ent.title()), ('state', state))))
		return res

	def _entry(self, sel):
		"""The pool entry selected by the pool parameter (index or name), default the newest"""
		with self._lock:
			entries = list(self._pools)
		if sel is None:
			return entries[-1] if entries else None
		for ent in entries:
			if str(ent.key) == sel:
				return ent
		for ent in reversed(entries):
			if ent.title() == sel:
				return ent
		raise ValueError('pool: no pool {!r} is served here; the pools are: {}'.format(sel, ', '.join(
			'{} ({})'.format(e.key, e.title()) for e in entries) or 'none'))

	def hostInfo(self):
		"""CPU load (fraction) and RAM usage (GB) of the host, cached for 0.5 s"""
		tnow = time.perf_counter()
		tinfo, info = self._hostinfo
		if info is not None and tnow - tinfo < 0.5:
			return info
		ramtotal = WebUiApp.RAM
		info = {'cpuLoad': None, 'ramUsage': None, 'ramTotal': ramtotal, 'lcpus': WebUiApp.LCPUS
			or os.cpu_count()}
		if psutil is not None:
			try:
				info['cpuLoad'] = round(psutil.cpu_percent(None) / 100., 4)
				vmem = psutil.virtual_memory()
				info['ramUsage'] = round((vmem.total - vmem.available) / 1024.**3, 4)
				if ramtotal is None:
					info['ramTotal'] = round(vmem.total / 1024.**3, 4)
			except (psutil.Error, OSError):  # Unreadable /proc: shown as unknown
				pass
		self._hostinfo = (tnow, info)
		return info

	def _handler(self, page):
		"""The route handler of a page"""
		def handle():
			return self._serve(page)
		handle.__name__ = 'page_' + page
		return handle

	def _serve(self, page):
		"""Answer a request for page; bad parameters -> 400 naming them"""
		fmt = UiResFmt.htm
		try:
			qdict = _parseQuery(bottle.request.query_string)
			if qdict.get('fmt') in UiResFmt.__members__:
				fmt = UiResFmt[qdict['fmt']]
			opts = ResultOptions(qdict)
			entry = self._entry(opts.pool) if page != 'apinfo' else None
		except ValueError as err:
			return self._badRequest(str(err), fmt)
		resp = bottle.response
		textbrowser = opts.fmt == UiResFmt.htm and bool(_RE_TEXTBROWSER.search(bottle.request.get_header(
			'User-Agent', '')))
		key = (page, entry.key if entry is not None else None, tuple(sorted(qdict.items())), textbrowser)
		ctype, body = self._answer(key, entry, lambda: self._render(page, opts, entry, textbrowser))
		resp.content_type = ctype
		return body

	def _answer(self, key, entry, render):
		"""(content type, body bytes) of a request: from the cache while the pool's snapshot is unchanged
		and the answer younger than _CACHE_TTL, else rendered and cached (requests are answered one at
		a time: _Pacer)"""
		if entry is not None:
			self._freshen(entry)
		hit = self._cached(key, entry)
		if hit is not None:
			return hit
		snap = entry.snap if entry is not None else None
		tmade = time.perf_counter()
		ctype, body = render()
		body = body.encode('utf-8')
		if len(body) <= _CACHE_BODY_MAX:
			with self._lock:
				self._cache[key] = (snap, tmade, ctype, body)
				self._cache.move_to_end(key)
				while len(self._cache) > _CACHE_MAX:
					self._cache.popitem(last=False)
		return ctype, body

	def _cached(self, key, entry):
		"""The cached (content type, body) of a request if still valid, else None"""
		with self._lock:
			hit = self._cache.get(key)
		if hit is None:
			return None
		snap, tmade, ctype, body = hit
		if (entry.snap if entry is not None else None) is not snap or time.perf_counter() - tmade >= _CACHE_TTL:
			return None
		return ctype, body

	@staticmethod
	def _freshen(entry):
		"""Ask the pool for the state that its rate limit held back, when its snapshot is not fresh

		A caller may do other work between execute() and join(): then no one else publishes it. The pool
		takes the snapshot only when it is outside its loop and steps (ExecPool._uiRefresh).
		"""
		snap = entry.snap
		if snap is not None and time.perf_counter() - snap.tsnap < _UI_FRESH:
			return
		pool = entry.ref() if entry.ref is not None else None
		refresh = getattr(pool, '_uiRefresh', None)
		del pool  # Only the caller's references keep the pool alive
		if refresh is not None:
			refresh()

	def _render(self, page, opts, entry, textbrowser):
		"""(content type, body str) of a page in the requested format"""
		if page == 'apinfo':
			return self._apinfo(opts)
		rend = _Render(_Page(page, opts, entry, time.perf_counter()), self)
		if opts.fmt == UiResFmt.json:
			return 'application/json; charset=UTF-8', json.dumps(rend.json(), ensure_ascii=False, allow_nan=False)
		if opts.fmt == UiResFmt.txt:
			return 'text/plain; charset=UTF-8', rend.txt()
		ctx = rend.context()
		ctx['textBrowser'] = textbrowser
		return 'text/html; charset=UTF-8', self._template('webui', ctx)

	def _apinfo(self, opts):
		"""(content type, body str) of the API manual in the requested format"""
		if opts.fmt == UiResFmt.json:
			return 'application/json; charset=UTF-8', json.dumps(collections.OrderedDict((('routes'
				, collections.OrderedDict((('/', 'failures'), ('/jobs', 'jobs'), ('/tasks', 'tasks')
				, ('/apinfo', 'this manual')))), ('params', _API_PARAMS)
				, ('columns', collections.OrderedDict((k, {'kind': c.kind, 'objects': {'jt': 'jobs tasks'
				, 'j': 'jobs', 't': 'tasks'}[c.objs], 'descr': c.descr}) for k, c in _COLUMNS.items()))
				, ('json', _API_JSON), ('examples', _API_EXAMPLES))), ensure_ascii=False)
		if opts.fmt == UiResFmt.txt:
			return 'text/plain; charset=UTF-8', _apiManualText()
		pdata = _Page('apinfo', opts, None, time.perf_counter())
		ctx = _Render(pdata, self).context()
		ctx.update(errmsg=None, summary=False, apiParams=_API_PARAMS, apiJson=_API_JSON, apiExamples=_API_EXAMPLES
			, apiColumns=[(k, c.kind, {'jt': 'jobs, tasks', 'j': 'jobs', 't': 'tasks'}[c.objs], c.descr)
			for k, c in _COLUMNS.items()], defaultLim=WUIJOBS_LIMIT)
		return 'text/html; charset=UTF-8', self._template('webui', ctx)

	def _template(self, name, ctx):
		"""Render a view found in the app's template folders (never the working directory)"""
		return bottle.template(name, template_lookup=self._views, **ctx)

	@staticmethod
	def _badRequest(msg, fmt):
		"""A 400 answer naming the bad parameter, in the requested format when it could be read"""
		resp = bottle.response
		resp.status = 400
		if fmt == UiResFmt.json:
			resp.content_type = 'application/json; charset=UTF-8'
			return json.dumps({'errmsg': 'Invalid URL parameter: ' + msg}, ensure_ascii=False)
		resp.content_type = 'text/plain; charset=UTF-8'
		return 'Invalid URL parameter: {}\n'.format(msg)

	@staticmethod
	def _errorPage(res):
		"""Plain-text error pages (404, 405, ...), no traceback"""
		bottle.response.content_type = 'text/plain; charset=UTF-8'
		res.content_type = 'text/plain; charset=UTF-8'
		if res.status_code == 404:
			return 'Nothing here, sorry\n'
		if res.status_code == 405:
			return 'Only GET and HEAD are served\n'
		return '{}\n'.format(res.status_line)

	@staticmethod
	def _favicon():
		"""No icon: an empty answer instead of a 404 in every browser console"""
		bottle.response.status = 204
		return ''
