"""The ACPC dealer's protocol (version 2.0.0): ``MATCHSTATE`` lines in, the same line plus an action out.

The dealer may describe the policy's game with the seats in another order (its heads-up games put the big
blind first): :func:`map_seats` finds the rotation that makes the two game definitions equal, and the
betting strings then read the same in both. Its small decks use the highest suits (``s`` for one suit)
where ours use the lowest (``c``); ranks agree. See ``../shared/acpc_server/protocol.md``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from holdem.cards import NUM_SUITS, CardError, parse_card
from holdem.engine import HandState
from holdem.games import GameDef
from holdem.play.player import PolicyPlayer, acpc_action

PROTOCOL_VERSION = "VERSION:2.0.0"
CONNECT_ATTEMPTS = 50
CONNECT_RETRY_S = 0.1


class ACPCError(ValueError):
    """A dealer game that does not match the policy's, or a message that breaks the protocol (one line)."""


class RulesDisagreement(ACPCError):
    """Betting the dealer accepted that our rules engine refuses (multi-way no-limit short all-ins, where the
    ACPC rules let a seat that already acted re-raise and ours do not)."""


@dataclass(frozen=True)
class SeatMap:
    """How the dealer's positions and cards map onto the policy's game: ``seat = (position + offset) % n``."""

    dealer_game: GameDef
    game: GameDef
    offset: int

    def seat(self, position: int) -> int:
        return (position + self.offset) % self.game.num_players

    @property
    def suit_shift(self) -> int:
        """ACPC deals the highest ``numSuits`` suits, we deal the lowest."""
        return NUM_SUITS - self.game.num_suits

    def card(self, text: str) -> int:
        """Our code of an ACPC card such as ``As``."""
        code = parse_card(text) - self.suit_shift
        if code < 0 or code & 3 >= self.game.num_suits:
            raise CardError(f"card {text!r} is not in the dealer's {self.game.num_suits}-suit deck")
        return code


def _rotated(values: tuple[int, ...], offset: int) -> tuple[int, ...]:
    n = len(values)
    return tuple(values[(seat - offset) % n] for seat in range(n))


def map_seats(dealer: GameDef, game: GameDef) -> SeatMap:
    """The rotation of seats that turns the dealer's game into the policy's; ACPCError naming what differs."""
    same = ("betting", "num_players", "num_rounds", "num_suits", "num_ranks", "num_hole_cards", "num_board_cards",
            "raise_size", "max_raises")
    differ = [f"{key} {getattr(dealer, key)} vs {getattr(game, key)}" for key in same
              if getattr(dealer, key) != getattr(game, key)]
    if differ:
        raise ACPCError(f"the dealer's game is not the policy's game {game.name}: {'; '.join(differ)}")
    n = game.num_players
    for offset in range(n):
        seats_match = all(_rotated(getattr(dealer, key), offset) == getattr(game, key)
                          for key in ("stack", "blind", "ante"))
        first = tuple((p + offset) % n for p in dealer.first_player)
        if seats_match and first == game.first_player:
            return SeatMap(dealer, game, offset)
    raise ACPCError(
        f"the dealer's game is not the policy's game {game.name} in any seat order: dealer blinds "
        f"{list(dealer.blind)}, stacks {list(dealer.stack)}, first to act {[p + 1 for p in dealer.first_player]}; "
        f"policy blinds {list(game.blind)}, stacks {list(game.stack)}, first to act "
        f"{[p + 1 for p in game.first_player]} (1-based)")


@dataclass(frozen=True)
class MatchState:
    """One ``MATCHSTATE:position:hand:betting:cards`` line, cards as text per position and per round."""

    line: str
    position: int
    hand: int
    betting: str
    holes: tuple[str, ...]
    boards: tuple[str, ...]


def parse_matchstate(line: str) -> MatchState:
    """Split a dealer line into its fields; ACPCError when it is not a match state."""
    parts = line.split(":")
    if len(parts) != 5 or parts[0] != "MATCHSTATE":
        raise ACPCError(f"not a MATCHSTATE line: {line!r}")
    try:
        position, hand = int(parts[1]), int(parts[2])
    except ValueError:
        raise ACPCError(f"bad position or hand number in {line!r}") from None
    holes, *boards = parts[4].split("/")
    return MatchState(line, position, hand, parts[3], tuple(holes.split("|")), tuple(boards))


def _cards(text: str, seats: SeatMap) -> list[int]:
    if len(text) % 2:
        raise ACPCError(f"bad cards {text!r}")
    return [seats.card(text[i:i + 2]) for i in range(0, len(text), 2)]


def hand_state(ms: MatchState, seats: SeatMap) -> HandState:
    """The hand a match state describes, in the policy's seats; cards nobody has seen are dealt at random."""
    game = seats.game
    if len(ms.holes) != game.num_players:
        raise ACPCError(f"{len(ms.holes)} hole-card sections for a {game.num_players}-player game in {ms.line!r}")
    holes: list[list[int] | None] = [None] * game.num_players
    try:
        for position, text in enumerate(ms.holes):
            if text:
                holes[seats.seat(position)] = _cards(text, seats)
        board = [c for text in ms.boards for c in _cards(text, seats)]
        state = HandState(game=game, hole_cards=holes, board=board, rng=np.random.default_rng(ms.hand))
    except (CardError, ValueError) as exc:
        raise ACPCError(f"{str(exc).splitlines()[0]} in {ms.line!r}") from None
    try:
        state.apply_acpc_history(ms.betting)
    except ValueError as exc:
        raise RulesDisagreement(f"{str(exc).splitlines()[0]} in {ms.line!r}") from None
    return state


@dataclass
class MatchTally:
    """What the client saw: hands, decisions, its own count of chips won, and how fast it answered."""

    hands: int = 0
    decisions: int = 0
    chips: int = 0
    disagreements: int = 0
    response_seconds: list[float] = field(default_factory=list)

    def to_json(self, unit_chips: int) -> dict[str, float | int]:
        """The tally as plain data; ``mbb_per_hand`` is by our own count (the dealer's SCORE is the judge)."""
        times = np.asarray(self.response_seconds or [0.0]) * 1e3
        return {"hands": self.hands, "decisions": self.decisions, "chips": self.chips,
                "mbb_per_hand": 1000.0 * self.chips / unit_chips / self.hands if self.hands else 0.0,
                "response_ms_median": float(np.median(times)), "response_ms_p99": float(np.percentile(times, 99)),
                "response_ms_max": float(times.max()),
                "response_ms_per_hand": float(times.sum() / self.hands) if self.hands else 0.0,
                "disagreements": self.disagreements}

    def summary(self, unit_chips: int) -> str:
        times = np.asarray(self.response_seconds or [0.0]) * 1e3
        rate = 1000.0 * self.chips / unit_chips / self.hands if self.hands else 0.0
        disagreements = f", {self.disagreements} states our rules could not follow" if self.disagreements else ""
        return (f"{self.hands:,} hands, {self.decisions:,} decisions, {self.chips:+,} chips "
                f"({rate:+.1f} mbb/hand by our count); response ms: median {np.median(times):.2f}, "
                f"p99 {np.percentile(times, 99):.2f}, max {times.max():.2f}{disagreements}")


class ACPCClient:
    """Answers the dealer's match states with the policy's moves; the seed makes every draw reproducible."""

    def __init__(self, player: PolicyPlayer, seats: SeatMap, *, seed: int = 0,
                 warn: Callable[[str], object] | None = None) -> None:
        self.player = player
        self.seats = seats
        self.seed = seed
        self.warn = warn
        self.tally = MatchTally()
        self._hand: int | None = None
        self._finished = False

    def respond(self, line: str) -> str | None:
        """The reply to one dealer line (without the line end), or None when it is not our turn."""
        if not line or line[0] in "#;":
            return None
        ms = parse_matchstate(line)
        if ms.hand != self._hand:
            self._hand, self._finished = ms.hand, False
            self.player.new_hand(np.random.default_rng([self.seed, ms.hand]))
        try:
            state = hand_state(ms, self.seats)
        except RulesDisagreement as exc:
            self.tally.disagreements += 1
            if self.warn is not None:
                self.warn(f"our rules cannot follow the dealer ({exc}); answering call, which the dealer "
                          f"ignores if it is not our turn")
            return f"{line}:c"
        seat = self.seats.seat(ms.position)
        if state.is_finished:
            if not self._finished:
                self._finished = True
                self.tally.hands += 1
                self.tally.chips += state.payoffs()[seat]
            return None
        if state.actor != seat:
            return None
        move = self.player.decide(state, seat)
        self.tally.decisions += 1
        return f"{line}:{acpc_action(state, move)}"

    def play(self, lines: Iterable[bytes], send: Callable[[bytes], object]) -> MatchTally:
        """Answer every line until the dealer closes the connection."""
        for raw in lines:
            started = time.perf_counter()
            reply = self.respond(raw.decode("ascii", "replace").rstrip("\r\n"))
            if reply is not None:
                send(reply.encode("ascii") + b"\r\n")
                self.tally.response_seconds.append(time.perf_counter() - started)
        return self.tally


def connect(host: str, port: int) -> socket.socket:
    """A TCP connection to the dealer, retried briefly while its port is not yet listening."""
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            sock = socket.create_connection((host, port), timeout=30)
        except ConnectionRefusedError:
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            time.sleep(CONNECT_RETRY_S)
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise ConnectionRefusedError(f"{host}:{port}")


def play_match(client: ACPCClient, host: str, port: int) -> MatchTally:
    """Connect, send the protocol version, and play until the dealer hangs up."""
    with connect(host, port) as sock:
        sock.sendall(PROTOCOL_VERSION.encode("ascii") + b"\r\n")
        reader: BinaryIO = sock.makefile("rb")
        with reader:
            return client.play(reader, sock.sendall)
