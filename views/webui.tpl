<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="application-name" content="PyExPool Web UI">
<meta name="author" content="pyexpool">
% if get('pageDescr'):
<meta name="description" content="{{pageDescr}}">
% end
% if get('pageRefresh') is not None:
<meta http-equiv="refresh" content="{{pageRefresh}}">
% end
<title>{{title}}{{' - ' + poolName if get('poolName') else ''}} - PyExPool</title>
<style>
:root { --ink: #1d2430; --mute: #5b6675; --line: #dde2e8; --bg: #f3f5f8; --card: #fff; --accent: #3b7dd8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
	font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #1f2a3a; color: #fff; padding: 10px 24px; display: flex; flex-wrap: wrap;
	align-items: center; gap: 8px 24px; }
header .brand { font-weight: 700; font-size: 16px; letter-spacing: .2px; }
header .brand small { font-weight: 400; color: #aab6c6; margin-left: 6px; }
nav a { color: #d5deea; text-decoration: none; padding: 6px 10px; border-radius: 6px; }
nav a:hover { background: #2f3d52; color: #fff; }
nav a.sel { background: var(--accent); color: #fff; }
nav .sep { color: #5d6b80; }
.pools { padding: 6px 24px; background: #e7ecf3; font-size: 13px; }
.pools a { color: var(--ink); margin-right: 10px; }
.pools a.sel { font-weight: 700; text-decoration: none; }
main { padding: 16px 24px 32px; max-width: 1500px; }
h1 { font-size: 20px; margin: 4px 0 2px; }
.descr { color: var(--mute); margin: 0 0 14px; }
h2 { font-size: 15px; margin: 0 0 8px; }
h2 .count { color: var(--mute); font-weight: 400; font-size: 13px; margin-left: 6px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
	margin-bottom: 16px; box-shadow: 0 1px 2px rgba(20, 30, 50, .04); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 16px; }
.kv { width: 100%; border-collapse: collapse; }
.kv td { padding: 2px 0; border: 0; vertical-align: top; }
.kv td:first-child { color: var(--mute); width: 42%; }
.big { font-size: 26px; font-weight: 700; }
.bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; background: #e4e8ee; margin: 8px 0; }
.bar span { display: block; height: 100%; }
.legend { color: var(--mute); font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
.err { color: #a12626; background: #fdeaea; border: 1px solid #f3c2c2; border-radius: 8px; padding: 10px 12px;
	white-space: pre-wrap; }
.chart { display: block; width: 100%; height: auto; max-width: 100%; }
.charttext { color: var(--mute); font-size: 12px; margin: 6px 0 0; }
.tblwrap { overflow-x: auto; }
table.data { width: 100%; border-collapse: collapse; border: 0; font-size: 13px; }
table.data th { text-align: left; font-weight: 600; color: var(--mute); background: #f7f9fb;
	border: 0; border-bottom: 2px solid var(--line); padding: 6px 10px; white-space: nowrap; }
table.data td { border: 0; border-bottom: 1px solid #edf0f4; padding: 5px 10px; white-space: nowrap; }
table.data tr:hover td { background: #f2f7ff; }
table.data .n { text-align: right; font-variant-numeric: tabular-nums; }
table.data tr.task td { background: #eef2f7; font-weight: 600; }
table.data tr.task.ctx td { color: var(--mute); font-weight: 500; }
td.bad { color: #c03030; font-weight: 600; }
.st { font-weight: 600; }
.st-done { color: #23804a; } .st-failed { color: #c03030; } .st-killed { color: #b86a0a; }
.st-canceled { color: #7b8590; } .st-running { color: #2f66b3; } .st-queued { color: #7b8590; }
.empty { color: var(--mute); font-style: italic; margin: 4px 0; }
.note { color: var(--mute); font-size: 12px; margin: 6px 0 0; }
footer { color: var(--mute); font-size: 12px; padding: 0 24px 24px; }
code { background: #eef2f7; padding: 1px 5px; border-radius: 4px; font-size: 12.5px; }
@media (max-width: 600px) { header, main, footer { padding-left: 10px; padding-right: 10px; } }
</style>
</head>
<body>
<header>
<span class="brand">PyExPool <small>Web UI</small></span>
<nav>
% for i, (href, label, sel) in enumerate(nav):
% if i:
<span class="sep">|</span>
% end
<a href="{{href}}"{{!' class="sel"' if sel else ''}}>{{label}}</a>
% end
</nav>
</header>
% if get('pools'):
<div class="pools">Pools:
% for href, label, sel in pools:
<a href="{{href}}"{{!' class="sel"' if sel else ''}}>{{label}}</a>
% end
</div>
% end
<main>
<h1>{{title}}{{' \u2014 ' + poolName if get('poolName') else ''}}</h1>
<p class="descr">{{pageDescr}}</p>
% if get('errmsg'):
<pre class="err">{{errmsg}}</pre>
% end
% if get('summary'):
<div class="cards">
<section class="card" id="progress">
<h2>Progress</h2>
<div class="big">{{percent}}</div>
<div class="bar">
% for key, color, pct, n in bar:
<span style="width:{{'%.3f' % pct}}%;background:{{color}}" title="{{n}} {{key}}"></span>
% end
</div>
<table class="kv">
<tr><td>Jobs</td><td>{{prog['done']}} done, {{prog['failed']}} failed, {{prog['running']}} running, {{prog['queued']}} queued</td></tr>
<tr><td>Elapsed</td><td>{{elapsed or '-'}}{{(' (started ' + started + ')') if started else ''}}</td></tr>
<tr><td>Time left</td><td>{{('\u2248 ' + eta) if eta else '-'}}</td></tr>
</table>
</section>
<section class="card" id="pool">
<h2>Pool</h2>
<table class="kv">
<tr><td>State</td><td><span class="st st-{{'running' if poolState == 'running' else 'done' if poolState == 'idle' else 'failed'}}">{{poolState}}</span></td></tr>
<tr><td>Workers</td><td>{{workers}} / {{wksmax}}</td></tr>
<tr><td>Jobs memory</td><td>{{memjobs}} (limit {{memlimit}})</td></tr>
<tr><td>Tasks</td><td>{{tasks}} ({{tasksRoot}} root), failed {{tasksFailed}} ({{tasksRootFailed}} root)</td></tr>
<tr><td>Snapshot age</td><td>{{snapAge}}</td></tr>
</table>
</section>
<section class="card" id="host">
<h2>Host</h2>
<table class="kv">
<tr><td>RAM used</td><td>{{ramText}}</td></tr>
<tr><td>CPU load</td><td>{{cpuText}}</td></tr>
<tr><td>Topology</td><td>{{lcpus or '-'}} logical CPU{{'' if lcpus == 1 else 's'}}, {{cpuCores or '-'}} core{{'' if cpuCores == 1 else 's'}}, {{cpuNodes or '-'}} node{{'' if cpuNodes == 1 else 's'}}</td></tr>
</table>
</section>
</div>
<section class="card" id="timelinecard">
<h2>Timeline <span class="count">(jobs per worker slot)</span></h2>
% if timeline and not get('textBrowser'):
{{!timeline}}
<div class="legend">
% for key, color in legend:
<i style="background:{{color}}"></i>{{key}}
% end
</div>
% end
<p class="charttext">{{timelineText}}</p>
</section>
<section class="card" id="memcard">
<h2>Memory <span class="count">(of the running jobs, against the pool's limit)</span></h2>
% if memchart and not get('textBrowser'):
{{!memchart}}
% end
<p class="charttext">{{memchartText}}</p>
</section>
% for tbl in tables:
<section class="card" id="{{tbl['key']}}">
<h2>{{tbl['title']}} <span class="count">({{tbl['count']}})</span></h2>
% if tbl['rows']:
<div class="tblwrap">
<table class="data" border="1">
<thead><tr>
% for col, descr, num in tbl['cols']:
<th title="{{descr}}"{{!' class="n" align="right"' if num else ''}}>{{col}}</th>
% end
</tr></thead>
<tbody>
% for rcls, cells in tbl['rows']:
<tr class="{{rcls}}">
% for text, ccls in cells:
<td{{!(' class="%s"' % ccls) if ccls else ''}}{{!' align="right"' if ccls[:1] == 'n' else ''}}>{{text}}</td>
% end
</tr>
% end
</tbody>
</table>
</div>
% else:
<p class="empty">{{tbl['empty']}}</p>
% end
% if tbl['limited']:
<p class="note">Limited to {{lim}} items (lim={{lim}}; lim=0 lists all).</p>
% end
% if tbl['note']:
<p class="note">{{tbl['note']}}</p>
% end
</section>
% end
% end
% if get('restApi'):
% include('restapi.md')
% end
</main>
<footer>Generated {{generated}} &middot; times are local wall-clock times &middot; <a href="/apinfo">API</a></footer>
</body>
</html>
