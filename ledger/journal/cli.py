import sys

import click
from flask.cli import AppGroup

from ledger import db

journal = AppGroup("journal", help="The double-entry journal.")


@journal.command("export")
@click.option("--format", "fmt", type=click.Choice(["beancount"]), default="beancount", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
def export_command(fmt: str, output: str | None) -> None:
    """Write the journal with balance assertions at each closed period's end."""
    from contextlib import ExitStack, closing

    from ledger.journal.export import Stream

    with ExitStack() as stack:
        handle = stack.enter_context(open(output, "w", encoding="utf-8")) if output else sys.stdout
        # a read-only snapshot: writers carry on while the file is written
        chunks = stack.enter_context(closing(Stream(db.database().read_session())))
        for chunk in chunks:
            handle.write(chunk)
    if output:
        click.echo(f"journal written to {output}", err=True)
