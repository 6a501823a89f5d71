"""The stylesheet of every output, scoped under ``.alfa-answer``, and small (it is in every output).

JupyterLab's CSS variables with light-theme fallbacks, so the same output reads in light and dark
themes and outside JupyterLab; tints are translucent ``rgba`` so they work on any background. The
variables used more than once are named once on the root (``--a2`` secondary text, ``--ab`` a thin
border, ``--ak`` the accent). Table rows and headers are tinted, not
painted, so the shadow that says a table scrolls shows through them. Kept as a string (no package-data file
to ship). Nothing depends on it: without it (GitHub, nbviewer, an untrusted notebook strip
``<style>``) the HTML is plain semantic markup, a chart gives way to a note (``.alfa-plot``
is ``hidden`` unless this stylesheet shows it; ``.alfa-no-plot`` is shown unless it hides it), and
a citation marker is plain ``[n]`` text (its link, whose target the sanitiser strips, is ``hidden``
the same way). Those rules ask for the stylesheet in the same output (``:has(>style)``): a ``<style>`` in
an output applies to the whole page, so another notebook's output must not show the drawing's
bare labels in a sanitised one.

Width: prose and cards keep a readable measure; tables and charts use the output's whole width and
scroll sideways (with a shadow at an edge that has more) rather than overflow it.
"""

from __future__ import annotations

_RULES = """
.alfa-answer{--a2:var(--jp-content-font-color2,#616161);--ab:1px solid var(--jp-border-color2,#e0e0e0);--ak:var(--jp-brand-color1,#1976d2);
font:var(--jp-content-font-size1,14px)/1.55 var(--jp-content-font-family,system-ui,sans-serif);
color:var(--jp-content-font-color1,#1a1a1a);overflow-wrap:anywhere;min-width:0;max-width:100%}
.alfa-body>:not(.alfa-artifact,table),.alfa-sources,.alfa-status{max-width:60em}
.alfa-body>:first-child{margin-top:0}
.alfa-answer :is(h1,h2,h3,h4,h5,h6){font-size:1.1em;margin:.8em 0 .3em;line-height:1.3}
.alfa-answer :is(h1,h2){font-size:1.3em}
.alfa-answer a{color:var(--jp-content-link-color,#1565c0)}
.alfa-answer code{font:.9em var(--jp-code-font-family,monospace);background:rgba(127,127,127,.14);padding:0 .3em;
border-radius:3px}
.alfa-answer pre{background:var(--jp-layout-color2,#f5f5f5);border:var(--ab);padding:.5em;overflow:auto;max-height:32em;white-space:pre-wrap}
.alfa-answer pre code,.alfa-footer code{background:none;padding:0}
.alfa-answer blockquote{margin:.5em 0;padding:0 .8em;border-left:3px solid var(--jp-border-color1,#bdbdbd)}
.alfa-answer .alfa-cite{line-height:0;font-size:.72em}
.alfa-cite a{text-decoration:none;font-weight:600}
.alfa-artifact{margin:.75em 0}
.alfa-artifact-title{margin:.2em 0}
.alfa-table-wrap,.alfa-body>table{display:block;max-width:100%;overflow-x:auto;
background:linear-gradient(90deg,var(--jp-layout-color0,#fff) 30%,transparent) left/2em 100% local no-repeat,
linear-gradient(270deg,var(--jp-layout-color0,#fff) 30%,transparent) right/2em 100% local no-repeat,
radial-gradient(farthest-side at 0,rgba(0,0,0,.25),transparent) left/.7em 100% no-repeat,
radial-gradient(farthest-side at 100%,rgba(0,0,0,.25),transparent) right/.7em 100% no-repeat}
.alfa-answer table{border-collapse:collapse;margin:.3em 0;font-size:var(--jp-content-font-size0,13px);
font-variant-numeric:tabular-nums;border:0;table-layout:auto;overflow-wrap:normal}
.alfa-answer caption{caption-side:top;text-align:left;font-weight:600;padding:.2em 0}
.alfa-answer :is(th,td){padding:.28em .7em;text-align:left;border:0;border-bottom:var(--ab);vertical-align:top;
white-space:normal}
.alfa-answer th{font-weight:600;background:rgba(127,127,127,.12)}
.alfa-answer tbody tr:nth-child(odd){background:none}
.alfa-answer tbody tr:nth-child(even){background:rgba(127,127,127,.06)}
.alfa-answer tr:hover{background:rgba(127,127,127,.12)}
.alfa-answer :is(th,td)[align=right]{text-align:right}
.alfa-answer :is(.alfa-nowrap,.alfa-num){white-space:nowrap}
.alfa-table-note,.alfa-notice,.alfa-pending,.alfa-extra,.alfa-unsafe,.alfa-meta,.alfa-n,.alfa-sources-title,
.alfa-chart summary,.alfa-json summary,.alfa-live-status,.alfa-live-log{color:var(--a2)}
.alfa-table-note{margin:.15em 0}
.alfa-answer:has(>style) .alfa-plot[hidden]{display:block}
.alfa-answer:has(>style) .alfa-no-plot{display:none}
.alfa-answer:has(>style) .alfa-cite a[hidden]{display:inline}
.alfa-answer:has(>style) .alfa-cite-n{display:none}
.alfa-chart-svg{display:block;max-width:100%;height:auto;margin:.3em 0}
.alfa-answer summary{cursor:pointer}
.alfa-text{border-left:3px solid var(--ak);padding:0 .9em;background:rgba(127,127,127,.05)}
.alfa-pending,.alfa-live-log{font-style:italic}
.alfa-missing{color:var(--jp-warn-color0,#e65100)}
.alfa-status{margin:0 0 .75em;padding:.45em .8em;border-left:4px solid var(--jp-warn-color1,#f57c00);
background:rgba(245,124,0,.1)}
.alfa-status ul{margin:.3em 0 0}
.alfa-status-error{background:rgba(211,47,47,.1);border-color:var(--jp-error-color1,#d32f2f)}
.alfa-sources{margin-top:1em}
.alfa-sources-title{margin:.2em 0}
.alfa-card{border:var(--ab);border-radius:6px;margin:.3em 0}
.alfa-card>summary{padding:.35em .65em}
.alfa-card[open]>summary{border-bottom:var(--ab)}
.alfa-card:has(:target){outline:2px solid var(--ak)}
.alfa-card-body{padding:.2em .8em .4em}
.alfa-card-body>a{scroll-margin-top:6em}
.alfa-card-body p{margin:.3em 0}
.alfa-n,.alfa-card-title{font-weight:600}
.alfa-badge{font-size:.7em;font-weight:600;text-transform:uppercase;padding:0 .4em;border:1px solid;
border-radius:3px;vertical-align:.12em;color:var(--ak)}
.alfa-badge-news{color:var(--jp-warn-color1,#ef6c00)}
.alfa-badge-filing,.alfa-badge-earnings{color:var(--jp-success-color1,#388e3c)}
.alfa-badge-document{color:var(--jp-accent-color1,#7b1fa2)}
.alfa-badge-kpi,.alfa-badge-theme{color:var(--jp-info-color1,#0097a7)}
.alfa-badge-other{color:var(--a2)}
.alfa-snippet{white-space:pre-line}
.alfa-answer mark{background:rgba(255,200,0,.4);color:inherit}
.alfa-link a{word-break:break-all}
.alfa-footer{margin-top:.9em;padding-top:.3em;border-top:var(--ab);color:var(--jp-content-font-color3,#757575)}
.alfa-live-log{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.alfa-question{font-weight:600}
"""

CSS = "".join(line.strip() for line in _RULES.strip().splitlines())
