"""The stylesheet of every output, scoped under ``.alfa-answer``.

JupyterLab's CSS variables with light-theme fallbacks, so the same output reads in light and dark
themes and outside JupyterLab; tints are translucent ``rgba`` so they work on any background.
Kept as a string (no package-data file to ship). Nothing depends on it: without it (GitHub,
nbviewer may strip ``<style>``) the HTML is plain semantic markup.
"""

from __future__ import annotations

CSS = """
.alfa-answer{font-family:var(--jp-content-font-family,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
 font-size:var(--jp-content-font-size1,14px);line-height:1.55;color:var(--jp-content-font-color1,#1a1a1a);
 max-width:960px;overflow-wrap:anywhere}
.alfa-answer .alfa-body>:first-child{margin-top:0}
.alfa-answer h1,.alfa-answer h2{font-size:1.3em;margin:.8em 0 .4em;line-height:1.3}
.alfa-answer h3,.alfa-answer h4,.alfa-answer h5,.alfa-answer h6{font-size:1.08em;margin:.8em 0 .3em;line-height:1.3}
.alfa-answer a{color:var(--jp-content-link-color,#1565c0)}
.alfa-answer code{font-family:var(--jp-code-font-family,ui-monospace,SFMono-Regular,Menlo,monospace);font-size:.9em;
 background:rgba(127,127,127,.14);padding:.05em .3em;border-radius:3px}
.alfa-answer pre{background:var(--jp-layout-color2,#f5f5f5);border:1px solid var(--jp-border-color2,#e0e0e0);
 border-radius:4px;padding:.5em .75em;overflow:auto;max-height:32em;white-space:pre-wrap}
.alfa-answer pre code{background:none;padding:0}
.alfa-answer blockquote{margin:.5em 0;padding:.1em .8em;border-left:3px solid var(--jp-border-color1,#bdbdbd);
 color:var(--jp-content-font-color2,#424242)}
.alfa-answer sup.alfa-cite{line-height:0;font-size:.72em;margin-left:1px}
.alfa-answer sup.alfa-cite a{text-decoration:none;font-weight:600}
.alfa-answer .alfa-artifact{margin:.75em 0}
.alfa-answer .alfa-artifact-title{margin:.2em 0}
.alfa-answer .alfa-table-wrap{overflow-x:auto;max-width:100%}
.alfa-answer table.alfa-table,.alfa-answer .alfa-body table{border-collapse:collapse;margin:.3em 0;
 font-size:var(--jp-content-font-size0,13px);font-variant-numeric:tabular-nums;border:none;table-layout:auto;
 overflow-wrap:normal;word-break:normal}
.alfa-answer table.alfa-table caption{caption-side:top;text-align:left;font-weight:600;padding:.2em 0 .35em;
 color:var(--jp-content-font-color1,#1a1a1a)}
.alfa-answer table.alfa-table th,.alfa-answer table.alfa-table td,.alfa-answer .alfa-body th,.alfa-answer .alfa-body td{
 padding:.28em .7em;text-align:left;border:none;border-bottom:1px solid var(--jp-border-color2,#e0e0e0);
 vertical-align:top;overflow-wrap:break-word}
.alfa-answer table.alfa-table .alfa-nowrap{white-space:nowrap}
.alfa-answer table.alfa-table thead th,.alfa-answer .alfa-body thead th{font-weight:600;
 border-bottom:2px solid var(--jp-border-color1,#bdbdbd);background:var(--jp-layout-color2,#f5f5f5)}
.alfa-answer table.alfa-table tbody tr:nth-child(even){background:rgba(127,127,127,.06)}
.alfa-answer table.alfa-table tbody tr:hover{background:rgba(127,127,127,.12)}
.alfa-answer table.alfa-table .alfa-num,.alfa-answer td[align=right],.alfa-answer th[align=right]{text-align:right;white-space:nowrap}
.alfa-answer .alfa-table-note,.alfa-answer .alfa-notice{margin:.15em 0;color:var(--jp-content-font-color2,#616161)}
.alfa-answer .alfa-chart-svg{display:block;max-width:100%;height:auto;color:var(--jp-content-font-color2,#424242);
 margin:.3em 0}
.alfa-answer .alfa-chart details>summary,.alfa-answer .alfa-json details>summary{cursor:pointer;
 color:var(--jp-content-font-color2,#616161);font-size:.92em}
.alfa-answer .alfa-text{border-left:3px solid var(--jp-brand-color1,#1976d2);padding:.1em .9em;
 background:rgba(127,127,127,.05)}
.alfa-answer .alfa-pending,.alfa-answer .alfa-missing{color:var(--jp-content-font-color2,#616161);font-style:italic}
.alfa-answer .alfa-missing{color:var(--jp-warn-color0,#e65100)}
.alfa-answer .alfa-status{margin:0 0 .75em;padding:.45em .8em;border-radius:4px;border-left:4px solid;
 background:rgba(245,124,0,.1);border-color:var(--jp-warn-color1,#f57c00)}
.alfa-answer .alfa-status ul{margin:.3em 0 0;padding-left:1.2em}
.alfa-answer .alfa-status-error{background:rgba(211,47,47,.1);border-color:var(--jp-error-color1,#d32f2f)}
.alfa-answer .alfa-sources{margin-top:1em}
.alfa-answer .alfa-sources-title{margin:.2em 0 .35em;color:var(--jp-content-font-color2,#424242)}
.alfa-answer details.alfa-card{border:1px solid var(--jp-border-color2,#e0e0e0);border-radius:6px;
 margin:.3em 0;background:var(--jp-layout-color1,#fff)}
.alfa-answer details.alfa-card>summary{cursor:pointer;padding:.35em .65em;list-style-position:inside}
.alfa-answer details.alfa-card[open]>summary{border-bottom:1px solid var(--jp-border-color2,#e0e0e0)}
.alfa-answer details.alfa-card:target{outline:2px solid var(--jp-brand-color1,#1976d2)}
.alfa-answer .alfa-card-body{padding:.35em .8em .55em}
.alfa-answer .alfa-card-body>:first-child{margin-top:.2em}
.alfa-answer .alfa-card-body p{margin:.3em 0}
.alfa-answer .alfa-n{font-weight:600;color:var(--jp-content-font-color2,#616161);font-variant-numeric:tabular-nums}
.alfa-answer .alfa-card-title{font-weight:600}
.alfa-answer .alfa-meta{color:var(--jp-content-font-color2,#616161);font-size:.92em}
.alfa-answer .alfa-badge{display:inline-block;font-size:.7em;font-weight:600;text-transform:uppercase;
 letter-spacing:.04em;padding:0 .45em;border-radius:3px;border:1px solid;vertical-align:.12em;
 color:var(--jp-brand-color1,#1976d2)}
.alfa-answer .alfa-badge-news{color:var(--jp-warn-color1,#ef6c00)}
.alfa-answer .alfa-badge-filing,.alfa-answer .alfa-badge-earnings{color:var(--jp-success-color1,#388e3c)}
.alfa-answer .alfa-badge-document{color:var(--jp-accent-color1,#7b1fa2)}
.alfa-answer .alfa-badge-kpi,.alfa-answer .alfa-badge-theme{color:var(--jp-info-color1,#0097a7)}
.alfa-answer .alfa-badge-other{color:var(--jp-content-font-color2,#616161)}
.alfa-answer .alfa-snippet{white-space:pre-line;margin:.3em 0;font-size:.95em}
.alfa-answer mark{background:rgba(255,200,0,.4);color:inherit;padding:0 .1em;border-radius:2px}
.alfa-answer .alfa-link a{word-break:break-all}
.alfa-answer .alfa-extra,.alfa-answer .alfa-unsafe{color:var(--jp-content-font-color2,#616161)}
.alfa-answer .alfa-footer{margin-top:.9em;padding-top:.35em;border-top:1px solid var(--jp-border-color2,#e0e0e0);
 color:var(--jp-content-font-color3,#757575)}
.alfa-answer .alfa-footer code{background:none;padding:0}
.alfa-answer .alfa-live-status{color:var(--jp-content-font-color2,#616161);font-size:.92em;margin-bottom:.2em}
.alfa-answer .alfa-live-log{color:var(--jp-content-font-color2,#616161);font-style:italic;font-size:.92em;
 margin-bottom:.5em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.alfa-answer .alfa-question{font-weight:600;margin-bottom:.3em}
""".strip()
