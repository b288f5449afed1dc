"""The ACPC reference dealer on this machine: build it from its source, run a match, read its log and score.

For local matches, tests and benchmarks. The source folder may be read-only: it is copied first. With
``fixed_seed_player`` the example player's clock seed is replaced by ``ACPC_PLAYER_SEED`` from the environment,
so a match against it is the same every run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_SEED = "init_genrand( &rng, tv.tv_usec );"
ENV_SEED = ('init_genrand( &rng, getenv( "ACPC_PLAYER_SEED" ) ? atoi( getenv( "ACPC_PLAYER_SEED" ) ) '
            ': tv.tv_usec );')
PROBLEM_PREFIXES = ("ERROR", "WARNING")


class DealerError(RuntimeError):
    """The dealer could not be built or a match did not finish cleanly; the message says why in one line."""


def build_dealer(source: Path, workdir: Path, *, fixed_seed_player: bool = False) -> Path:
    """Copy the dealer's source into ``workdir`` and ``make dealer example_player``; returns the build folder."""
    if not (source / "dealer.c").is_file():
        raise DealerError(f"no ACPC dealer source at {source}")
    build = workdir / "acpc_server"
    shutil.copytree(source, build)
    for path in build.iterdir():
        path.chmod(0o644 if path.is_file() else 0o755)
    if fixed_seed_player:
        player = build / "example_player.c"
        text = player.read_text()
        if CLOCK_SEED not in text:
            raise DealerError("example_player.c does not seed from the clock as expected: cannot fix its seed")
        player.write_text(text.replace(CLOCK_SEED, ENV_SEED))
    done = subprocess.run(["make", "-s", "dealer", "example_player"], cwd=build, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise DealerError(f"building the dealer failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return build


@dataclass
class MatchRecord:
    """A finished match: SCORE by player name, the log's STATE lines, the dealer's stderr, each player's stderr."""

    score: dict[str, int]
    states: list[str]
    dealer_err: str
    player_err: list[str]

    def problems(self) -> list[str]:
        """The dealer's error and warning lines: bad actions it fixed up, timeouts, disconnects."""
        return [line for line in self.dealer_err.splitlines() if line.startswith(PROBLEM_PREFIXES)]

    def hand_numbers(self) -> list[int]:
        return [int(line.split(":")[1]) for line in self.states]

    def time_limits_ms(self) -> dict[str, int]:
        """The limits the dealer announced (``#--t_response 600000``...), in milliseconds."""
        limits = {}
        for line in self.dealer_err.splitlines():
            if line.startswith("#--t_"):
                name, _, value = line[3:].partition(" ")
                limits[name] = int(value)
        return limits


def play_match(build: Path, game_file: Path, players: Sequence[tuple[str, Sequence[str]]], *, hands: int,
               seed: int, name: str, timeout_s: float = 900.0) -> MatchRecord:
    """Run the dealer for ``hands`` hands, one process per seat (``{port}`` and ``{game}`` in an argv are filled
    in); ``ACPC_PLAYER_SEED`` is set to ``seed`` for the players."""
    run_dir = build / name
    run_dir.mkdir()
    dealer = subprocess.Popen(
        [str(build / "dealer"), name, str(game_file), str(hands), str(seed), *(n for n, _ in players), "-q",
         "--start_timeout", "120000"],
        cwd=run_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        assert dealer.stdout is not None
        ports = dealer.stdout.readline().split()
        if len(ports) != len(players):
            raise DealerError(f"the dealer printed ports {ports} for {len(players)} players")
        env = {**os.environ, "ACPC_PLAYER_SEED": str(seed)}
        for index, ((_, argv), port) in enumerate(zip(players, ports)):
            log = (run_dir / f"player{index}.err").open("w")
            logs.append(log)
            filled = [a.replace("{port}", port).replace("{game}", str(game_file)) for a in argv]
            procs.append(subprocess.Popen(filled, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=log, env=env))
        out, err = dealer.communicate(timeout=timeout_s)
        codes = [p.wait(timeout=60) for p in procs]
    finally:
        for proc in [dealer, *procs]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    player_err = [(run_dir / f"player{i}.err").read_text() for i in range(len(players))]
    if dealer.returncode != 0 or any(codes):
        raise DealerError(f"match {name}: dealer exit {dealer.returncode}, players {codes}: "
                          f"{err.strip().splitlines()[-1:]} {[e.strip().splitlines()[-1:] for e in player_err]}")
    score_line = next((line for line in out.splitlines() if line.startswith("SCORE:")), None)
    if score_line is None:
        raise DealerError(f"match {name}: the dealer printed no SCORE line")
    _, values, names = score_line.split(":")
    states = [line for line in (run_dir / f"{name}.log").read_text().splitlines() if line.startswith("STATE:")]
    return MatchRecord(dict(zip(names.split("|"), map(int, values.split("|")))), states, err, player_err)
