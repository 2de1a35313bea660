#!/usr/bin/env python3
"""Throughput of `mpepool --pipe` and `--pipepart` against GNU parallel on the same input, in one run.

Both tools cut the same file of text lines into blocks and give each block to a `wc -l` job; each mode runs
--repeat times per tool (the median counts) and the script prints MB/s of both and their ratio. The line
counts the jobs print are checked against the file (a tool that loses or duplicates a record fails the run).
It is a benchmark, not a test: it asserts only the correctness of the counts and prints the target
(mpepool's MB/s >= GNU parallel's).

Usage: python benchmarks/bench_pipe.py [--size-mb 256] [-j 2] [--repeat 3] [--mode '--pipe' ...]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (options of both tools, how the file is given: 'stdin' (the file itself), 'cat' (a pipe from cat),
# '-a' (its path))
MODES = {
	'--pipe': (['--pipe'], 'stdin'),
	'cat | --pipe': (['--pipe'], 'cat'),
	'--pipe --block 10M': (['--pipe', '--block', '10M'], 'stdin'),
	'--pipe -k': (['--pipe', '-k'], 'stdin'),
	'--pipepart': (['--pipepart', '--block', '1M'], '-a'),
}


def makeInput(path, size):
	"""A file of size bytes (rounded down to whole chunks) of numbered text lines; returns its line count"""
	lines = ''.join('{:08d} some text of a record, {}\n'.format(i, 'x' * (i % 40)) for i in range(20000)).encode()
	reps = max(size // len(lines), 1)
	with open(path, 'wb') as fout:
		for _ in range(reps):
			fout.write(lines)
	return reps * 20000


def runOnce(argv, path, nlines, given, env):
	"""Seconds taken by argv (its last word the command) on the file; raises if it fails or miscounts"""
	with open(path, 'rb') as fin:
		tstart = time.perf_counter()
		cat = subprocess.Popen(['cat', path], stdout=subprocess.PIPE) if given == 'cat' else None
		res = subprocess.run(argv[:-1] + (['-a', path] if given == '-a' else []) + argv[-1:], stdin=cat.stdout
			if cat else fin if given == 'stdin' else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess
			.PIPE, env=env)
		elapsed = time.perf_counter() - tstart
		if cat:
			cat.stdout.close()
			cat.wait()
	if res.returncode != 0:
		raise RuntimeError('{} exited with {}: {}'.format(argv[:4], res.returncode, res.stderr.decode()[-500:]))
	counted = sum(int(n) for n in res.stdout.split())
	if counted != nlines:
		raise RuntimeError('{} counted {} lines instead of {}'.format(argv, counted, nlines))
	return elapsed


def main():
	"""Run the comparison and print the table"""
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--size-mb', type=int, default=256, help='the input in MB (default 256)')
	parser.add_argument('-j', type=int, default=2, help='jobs at once of both tools (default 2)')
	parser.add_argument('--repeat', type=int, default=3, help='runs of each tool, the median counts (default 3)')
	parser.add_argument('--mode', action='append', choices=sorted(MODES), help='run only this mode (repeatable)')
	opts = parser.parse_args()
	gnu = shutil.which('parallel')
	env = dict(os.environ, PARALLEL_SHELL='/bin/sh')  # Both run the commands in the same shell
	env.pop('PARALLEL', None)
	env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
	with tempfile.TemporaryDirectory() as tmp:
		path = os.path.join(tmp, 'input')
		nlines = makeInput(path, opts.size_mb << 20)
		mbytes = os.path.getsize(path) / float(1 << 20)
		print('{:.0f} MB ({} lines) through wc -l, -j {}, median of {} runs; {}'.format(mbytes, nlines, opts.j
			, opts.repeat, 'GNU parallel: ' + subprocess.run([gnu, '--version'], stdout=subprocess.PIPE).stdout
			.decode().split('\n')[0] if gnu else 'GNU parallel is not installed: mpepool alone'))
		print('{:<20} {:>12} {:>13} {:>7}'.format('mode', 'mpepool MB/s', 'parallel MB/s', 'ratio'))
		for name, (extra, given) in MODES.items():
			if opts.mode and name not in opts.mode:
				continue
			mpe, gnut = [], []
			for _ in range(opts.repeat):  # Alternated: both see the same load over the run
				mpe.append(runOnce([sys.executable, '-m', 'mpepool', '-j', str(opts.j)] + extra + ['wc -l'], path
					, nlines, given, env))
				if gnu:
					gnut.append(runOnce([gnu, '--will-cite', '-j', str(opts.j)] + extra + ['wc -l'], path, nlines
						, given, env))
			mrate = mbytes / statistics.median(mpe)
			grate = mbytes / statistics.median(gnut) if gnut else None
			print('{:<20} {:>12.0f} {:>13} {:>7}'.format(name, mrate, '{:.0f}'.format(grate) if grate else '-'
				, '{:.2f}x'.format(mrate / grate) if grate else '-'))
	print('target: mpepool >= GNU parallel\'s MB/s')


if __name__ == '__main__':
	main()
