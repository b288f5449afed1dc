"""Generic asyncio supervision of worker subprocesses (knows nothing of poker).

Entry points: ``Supervisor(job, WorkerSpec(argv), SupervisorConfig(...)).run()`` on the supervisor
side, ``run_worker(handle_task)`` on the worker side; see ``supervisor.Job`` for what a job provides.
"""

from .config import SupervisorConfig
from .events import EventLog
from .job import Job, Summary, WorkerInfo
from .ledger import BatchLedger
from .loop import run_async
from .policy import Restart, RestartPolicy
from .protocol import PROTOCOL_VERSION, FrameDecoder, MessageType, ProtocolError
from .supervisor import Supervisor
from .transport import SubprocessTransport, WorkerSpec, WorkerTransport

__all__ = [
    "PROTOCOL_VERSION", "BatchLedger", "EventLog", "FrameDecoder", "Job", "MessageType", "ProtocolError",
    "Restart", "RestartPolicy", "Summary", "Supervisor", "SupervisorConfig", "SubprocessTransport",
    "WorkerInfo", "WorkerSpec", "WorkerTransport", "run_async",
]
