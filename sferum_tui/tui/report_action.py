"""The console's «report of the week» (a palette command): the HTML report of the week being
viewed (narrowed to the municipality chosen, if any), written where exports go by default,
its path notified.  The report itself is the service's (``sferum_tui.service.report``)."""

from __future__ import annotations

from typing import Any

from sferum_tui.i18n import tr


def write_viewed_week_report(app: Any) -> None:
    """Start writing the report in a thread; notify the path (or the one-line error)."""
    main = app.main_screen
    if main is None or main.state.week_id is None:
        app.notify(tr("Нет недели для отчёта.", "No week to report on."), severity="warning",
                   markup=False)
        return
    week_id = int(main.state.week_id)
    municipality = main.state.filters.one_municipality

    def work() -> None:
        from sferum_tui.service import report as rep
        from sferum_tui.service.errors import UserError
        from sferum_tui.tui.export_dialog import _shown, default_export_path

        api = app.api
        try:
            def build():
                return rep.build_report(api.store, api.cfg, week_id, municipality=municipality,
                                        scope=api.scope, today=api.today(), now=api.now())
            built = api.call(build)
            path = default_export_path((built.doc.week_start, built.doc.week_end),
                                       tr("отчёт", "report") + (f" {municipality}" if municipality else ""),
                                       "html")
            rep.write_report(built.doc, path, "html")
        except UserError as err:
            app.call_from_thread(app.notify, err.message, severity="error", markup=False)
            return
        app.call_from_thread(app.notify, tr("Отчёт недели записан: {p}", "The week's report written: {p}",
                                            p=_shown(path)), timeout=8, markup=False)

    app.run_worker(work, thread=True, exclusive=False, group="report")
