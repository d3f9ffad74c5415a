"""A single-node Apache Kafka broker in KRaft mode on loopback, from the jars `make setup` puts
in .venv/kafka-jars (tests/kafka/pom.xml): for the streaming tests and bench/stream_ingest.

    with KafkaBroker(tmp_dir) as broker:
        broker.bootstrap            # "127.0.0.1:PORT"
"""

import os
import pathlib
import shutil
import socket
import subprocess
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
JARS = ROOT / ".venv" / "kafka-jars"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available() -> bool:
    return shutil.which("java") is not None and any(JARS.glob("kafka_2.13-*.jar"))


class KafkaBroker:
    def __init__(self, directory, partitions: int = 4, heap: str = "1g"):
        self.dir = pathlib.Path(directory)
        self.partitions = partitions
        self.heap = heap
        self.proc = None
        self.bootstrap = ""

    def __enter__(self) -> "KafkaBroker":
        if not available():
            raise RuntimeError(f"no Kafka jars in {JARS}: run `make setup`")
        self.dir.mkdir(parents=True, exist_ok=True)
        port, controller = _free_port(), _free_port()
        props = self.dir / "server.properties"
        props.write_text(f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={self.dir / 'logs'}
num.partitions={self.partitions}
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
""")
        classpath = f"{JARS}/*"
        java = ["java", f"-Xmx{self.heap}", "-cp", classpath]
        subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", str(uuid.uuid4()).replace("-", "")[:22],
                        "-c", str(props)], check=True, capture_output=True)
        self.log = open(self.dir / "broker.log", "w")
        self.proc = subprocess.Popen([*java, "kafka.Kafka", str(props)], stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "KAFKA_HEAP_OPTS": f"-Xmx{self.heap}"})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Kafka broker exited: {(self.dir / 'broker.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                self.bootstrap = f"127.0.0.1:{port}"
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the Kafka broker did not start within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
