"""The notebook surface: ``%load_ext alfa_notebook`` registers ``%%alfa`` and ``%alfa``.

================  ==============================================================
``magics``        :class:`AlfaMagics`: options, traitlets, the IPython glue
``options``       a ``%alfa`` line: leading options, a question, or a subcommand
``inputs``        ``%alfa Why?`` stays a question, not IPython's ``name?`` help
``interpolation`` ``{{name}}`` in a question; DataFrames as bounded summaries
``session``       the kernel's current thread and its client
``asking``        one question, blocking or on the event loop; results delivered
``background``    ``--background``: the answer as a task, awaitable, stoppable
``live``          the one coalescing driver of every live view (~10 updates/s)
``sinks``         widget view, display handle, terminal text
``subcommands``   the subcommands, listed once: name, usage, argument parser, function
``host``          what the subcommands need of the magics (a Protocol)
``commands``      the subcommands: status, threads, history, cancel, ...
``errors``        one-line errors under their own class; magic hints for the client's errors
================  ==============================================================
"""

from __future__ import annotations

from typing import Any

_unloaded_in: tuple[int, int] | None = None
"""The shell and the cell that last unloaded the extension (``%reload_ext`` unloads, then loads)."""


def load_ipython_extension(ipython: Any) -> None:
    """Register :class:`AlfaMagics` with ``ipython``; ``%alfa ...?`` lines of the cell that loads
    it, which IPython read as help before the extension existed, are asked (see :mod:`.inputs`)."""
    from IPython.core.error import UsageError

    from .inputs import ask_misread_lines, keep_question_marks, misread_lines
    from .magics import AlfaMagics

    # A reload (unloaded in this same cell) ran the cell with the transformer in place: nothing misread.
    reloading = _unloaded_in == (id(ipython), ipython.execution_count)
    ran, to_run = ([], []) if reloading else misread_lines(ipython)
    ipython.register_magics(AlfaMagics)
    if keep_question_marks not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(keep_question_marks)
    ask_misread_lines(ipython, to_run)
    if ran:
        raise UsageError(
            f"`%alfa {ran[0].question}` ran before `%load_ext alfa_notebook`, and IPython read its '?' as a "
            "request for help: nothing was asked. Load the extension in a cell of its own, above "
            "(or start IPython with `--ext alfa_notebook`)."
        )


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%alfa``/``%%alfa``, stop a background answer and close the client."""
    from .inputs import keep_question_marks

    global _unloaded_in
    _unloaded_in = (id(ipython), ipython.execution_count)

    if keep_question_marks in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(keep_question_marks)
    manager = ipython.magics_manager
    magics = manager.registry.pop("AlfaMagics", None)
    for kind in ("line", "cell"):
        manager.magics[kind].pop("alfa", None)
    if magics is not None:
        if magics in ipython.configurables:
            ipython.configurables.remove(magics)
        magics.close()
