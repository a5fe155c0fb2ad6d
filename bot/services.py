"""Named factories and the services they wire together; nothing else builds clients."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.config import Settings
from bot.store import make_engine, migrate
from bot.store.tables import PUBLIC

log = logging.getLogger(__name__)
# a question about every school or the district as a whole is not narrowed to the school of its channel
_DISTRICT_WIDE = re.compile(
    r"\b(?:district|schools|every school|each school|all (?:of )?(?:our|the) schools)\b", re.I
)

# The knowledge stack (torch, chromadb, langchain) takes seconds to import; it is imported where it
# is first used, so commands that do not answer questions (`progress`, `data load`) start at once.
if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from bot.knowledge.answer import Answerer
    from bot.knowledge.index import KnowledgeIndex
    from bot.knowledge.ingest import Ingester
    from bot.knowledge.rank import Reranker

DEFAULT_CHUNK_TOKENS = 200  # bot.knowledge.chunking.DEFAULT_MAX_TOKENS, without importing it

MAX_ANSWER_TOKENS = 400


def make_llm(settings: Settings) -> BaseChatModel | None:
    """The chat model named by RESOLUTE_LLM, or None for extractive answers."""
    if settings.llm == "none":
        return None
    from langchain.chat_models import init_chat_model

    provider = settings.llm.split(":", 1)[0]
    # answers are a few sentences; the cap also stops a looping model from running to the timeout
    kwargs: dict = {"max_retries": 0, "temperature": 0}
    if provider in ("openai", "anthropic"):
        kwargs["max_tokens"] = MAX_ANSWER_TOKENS
    if provider == "openai":
        kwargs["timeout"] = settings.llm_timeout
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
            # OpenAI-compatible servers (llama.cpp, vLLM, LM Studio) read the legacy `max_tokens`
            # and ignore the `max_completion_tokens` the client sends, so send both
            kwargs["extra_body"] = {"max_tokens": MAX_ANSWER_TOKENS}
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        # a local OpenAI-compatible server needs no key, but the client insists on one
        kwargs["api_key"] = key or ("unused" if settings.openai_base_url else None)
    elif provider == "anthropic":
        kwargs["timeout"] = settings.llm_timeout
    elif provider == "ollama":
        kwargs["client_kwargs"] = {"timeout": settings.llm_timeout}
        kwargs["num_predict"] = MAX_ANSWER_TOKENS
    return init_chat_model(settings.llm, **{k: v for k, v in kwargs.items() if v is not None})


class Services:
    """Everything a command, listener or job needs, built once and on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
        embeddings: Embeddings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or (
            lambda: datetime.now(UTC)
        )  # the one clock: listeners, jobs and the CLI read it
        self._chunk_tokens = chunk_tokens
        self._indexes: dict[str, KnowledgeIndex] = {}
        self._vectorstores: dict[str, object] = {}
        self._lock = threading.Lock()  # listeners run on several threads; one index per corpus
        self._private: dict[str, object] = {}  # private corpus -> its vectors in SQL, one per process
        self._private_lock = threading.RLock()
        self._judgement: tuple | None = None  # (the district file's priorities and targets, their Classifier)
        if embeddings is not None:  # an already loaded model, shared by several Services
            self.__dict__["embeddings"] = embeddings

    @cached_property
    def engine(self) -> Engine:
        """The one SQLAlchemy engine, migrated to the current schema."""
        engine = make_engine(self.settings.sqlalchemy_url)
        migrate(engine)
        return engine

    @cached_property
    def embeddings(self) -> Embeddings:
        """The embedding model (the packaged one is exported for onnxruntime the first time: seconds)."""
        from bot.knowledge.embeddings import make_embeddings

        return make_embeddings(
            self.settings.embeddings,
            openai_base_url=self.settings.openai_base_url,
            api_key=self.settings.openai_api_key.get_secret_value() if self.settings.openai_api_key else None,
            models_dir=self.settings.models_dir,
        )

    @cached_property
    def embeddings_id(self) -> str:
        """Name of the embedding model stored with the index."""
        from bot.knowledge.embeddings import embeddings_id

        return embeddings_id(self.settings.embeddings)

    @cached_property
    def chroma_client(self):
        """Embedded Chroma under the data dir, or the Chroma server at CHROMA_HOST."""
        from bot.knowledge.vectorstore import make_chroma_client

        return make_chroma_client(
            persist_dir=self.settings.chroma_dir,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
        )

    def vectorstore(self, corpus: str = PUBLIC):
        """LangChain's view of the public corpus's collection, for code that wants a LangChain retriever
        (a private corpus has none: its vectors are in SQL)."""
        from bot.knowledge.vectorstore import make_vectorstore

        with self._lock:
            if corpus not in self._vectorstores:
                self._vectorstores[corpus] = make_vectorstore(
                    self.chroma_client,
                    embeddings=self.embeddings,
                    embeddings_id=self.embeddings_id,
                    corpus=corpus,
                )
            return self._vectorstores[corpus]

    def index(self, corpus: str = PUBLIC) -> KnowledgeIndex:
        """Hybrid retrieval over one corpus's committed passages (the public one unless named)."""
        from bot.knowledge.index import KnowledgeIndex
        from bot.knowledge.vectorstore import check_corpus

        check_corpus(corpus)
        with self._lock:
            if corpus not in self._indexes:
                self._indexes[corpus] = KnowledgeIndex(
                    engine=self.engine,
                    collection=self.vectors(corpus),
                    embeddings=self.embeddings,
                    corpus=corpus,
                )
            return self._indexes[corpus]

    def vectors(self, corpus: str = PUBLIC):
        """A corpus's vectors for this model: the public corpus's chromadb collection, or a private corpus's
        vectors in SQL (bot.knowledge.sqlvectors.SqlVectors, the same calls), which never reach Chroma."""
        from bot.knowledge.vectorstore import check_corpus, get_collection

        if check_corpus(corpus) == PUBLIC:
            return get_collection(self.chroma_client, self.embeddings_id, corpus)
        return self._private_vectors(corpus)

    def _private_vectors(self, corpus: str):
        """Once a process, when a private corpus's vectors are first asked for: Chroma collections an earlier
        version kept them (and its text) in are dropped and Chroma's file made to forget them; then the corpus
        is brought up to date from its stored text: embedded again after a change of model, and any vector
        missing restored (an upgrade, or one interrupted earlier). Every other thread waits for that."""
        from bot.knowledge.sqlvectors import SqlVectors
        from bot.knowledge.vectorstore import forget_private_collections

        with self._private_lock:  # reentrant: the restore below asks for the vectors again
            if corpus not in self._private:
                self._private[corpus] = SqlVectors(engine=self.engine, corpus=corpus)
                forget_private_collections(self.chroma_client, corpus)
                self.ingester.upsert_texts(corpus, [])
            return self._private[corpus]

    @cached_property
    def ingester(self) -> Ingester:
        """Files into the public corpus, text items into private ones."""
        from bot.knowledge.chunking import TokenCounter
        from bot.knowledge.embeddings import local_model_path
        from bot.knowledge.ingest import Ingester

        return Ingester(
            engine=self.engine,
            collections=self.vectors,
            # the model loads only when something needs embedding
            embed_documents=lambda texts: self.embeddings.embed_documents(texts),
            embeddings_id=self.embeddings_id,
            count_tokens=TokenCounter(local_model_path() / "tokenizer.json"),
            knowledge_dir=self.settings.knowledge_dir,
            max_tokens=self._chunk_tokens,
        )

    @cached_property
    def llm(self) -> BaseChatModel | None:
        """The configured chat model, if any."""
        return make_llm(self.settings)

    @cached_property
    def ranker(self) -> Reranker:
        """How answers rank the sentences they quote (RESOLUTE_RERANKER): the default scorer, or the trained
        cross-encoder (an error naming its file if it was never built)."""
        from bot.knowledge.cross_encoder import make_ranker

        return make_ranker(self.settings.reranker, self.settings.reranker_file)

    @cached_property
    def answerer(self) -> Answerer:
        """Cited answers over the public corpus."""
        from bot.knowledge.answer import Answerer

        return Answerer(index=self.index(PUBLIC), llm=self.llm, data=self.data_answers, ranker=self.ranker)

    @cached_property
    def answerer_with_notes(self) -> Answerer:
        """Cited answers over the public corpus and the intervention notes: only for an entitled reader's DM."""
        from bot.knowledge.answer import Answerer
        from bot.notes.model import NOTES_CORPUS

        return Answerer(
            index=[self.index(PUBLIC), self.index(NOTES_CORPUS)],
            llm=self.llm,
            data=self.data_answers,
            ranker=self.ranker,
        )

    @cached_property
    def data_answers(self):
        """Questions about results answered from the results store, citing the data cards."""
        from bot.district.data_answers import DataAnswers

        return DataAnswers(self.district, self.settings.cards_dir)

    def answerer_for(self, user: str, client, *, direct: bool) -> Answerer:
        """The answerer a question may use: the notes too only in a direct message from an entitled reader,
        and for a school reader only their schools' notes."""
        from bot.knowledge.answer import Answerer
        from bot.knowledge.index import Within
        from bot.notes.model import NOTE_SOURCE, NOTES_CORPUS, NotEntitled, NotesOff
        from bot.slack.members import channel_members

        if not direct:
            return self.answerer
        try:
            schools = self.notes.schools_for(user, members=channel_members(client), now=self.clock())
        except (NotesOff, NotEntitled):
            return self.answerer
        if schools is None:
            return self.answerer_with_notes

        def keep():  # read at each search: a note logged or moved a moment ago is judged as it is now
            sources = {f"{NOTE_SOURCE}{i}" for i in self.notes.store.ids_within(schools)}
            return lambda passage: passage.source in sources

        within = Within(self.index(NOTES_CORPUS), keep)
        return Answerer(index=[self.index(PUBLIC), within], llm=self.llm, data=self.data_answers,
                        ranker=self.ranker)  # fmt: skip

    @cached_property
    def answer_log(self):
        """Resolute's record of its Slack answers and their feedback."""
        from bot.slack.answer_log import AnswerLog

        return AnswerLog(engine=self.engine, clock=self.clock)

    @cached_property
    def asking(self):
        """The service behind every Slack surface that answers questions."""
        from bot.slack.asking import Asking
        from bot.slack.members import person_names
        from bot.store.handoffs import Handoffs

        return Asking(answerer=self.answerer, answer_log=self.answer_log,
                      priorities=self.district.home_priorities, answerer_for=self.answerer_for,
                      note_copies=self.notes.copies, recent_checkins=self.recent_checkins,
                      suggestions=self.suggested_prompts, scope=self.scoped_question,
                      respond_to=self.respond_to, owner_for=self.owner_for, handoffs=Handoffs(self.engine),
                      names=person_names, saved_answers=self.saved_answers,
                      notes_shown=lambda user, ids: self.notes.shown(user, ids, now=self.clock()))  # fmt: skip

    @cached_property
    def saved_answers(self):
        """Owners' replies saved as answers: files in the data folder's `answers`, indexed as documents."""
        from bot.knowledge.saved_answers import SavedAnswers

        return SavedAnswers(self.settings.data_dir / "answers", self.ingester)

    def owner_for(self, question: str) -> str | None:
        """The person the district file names for the priority a question is about (the check-ins' judgement
        of which priority it serves), else its help desk; None when it names no one."""
        from bot.district.service import NotLoaded

        try:
            config = self.district.config()
        except NotLoaded:
            return None
        if not any(p.owner for p in config.priorities):
            return config.help_desk
        [verdict] = self.priority_judgement(config).classify([question])
        owner = next((p.owner for p in config.priorities if p.key == verdict.priority), None)
        return owner or config.help_desk

    def priority_judgement(self, config):
        """Which priority a text serves (bot.checkins.classify), for this version of the district file: built
        once (its examples embedded) and shared by the check-ins and the routing of questions to owners."""
        from bot.checkins.classify import Classifier, priority_passages

        key = (tuple(config.priorities), tuple(config.targets))
        with self._private_lock:
            if self._judgement is None or self._judgement[0] != key:
                documents = priority_passages(self.settings.knowledge_dir, config.priorities)
                self._judgement = (key, Classifier(self.embeddings, config.priorities, config.targets,
                                                   documents=documents))  # fmt: skip
            return self._judgement[1]

    def respond_to(self, channel: str) -> str:
        """ "questions" where the district file has Resolute answer every question asked, else "mentions"."""
        from bot.district.service import NotLoaded

        try:
            rule = self.district.config().channel(channel)
        except NotLoaded:
            return "mentions"
        except Exception:  # a channel's ordinary message must not end in an error notice
            log.exception("could not read the district file's channels; answering mentions only")
            return "mentions"
        return rule.respond_to if rule else "mentions"

    def suggested_prompts(self, client, user: str) -> list[dict]:
        """The prompts a new assistant thread offers `user`: their own school first if they lead one."""
        from bot.slack.members import person_names

        return [{"title": title, "message": question}
                for title, question in self.district.suggested_questions(person_names(client, user))]  # fmt: skip

    def scoped_question(self, question: str, channel: str) -> str:
        """The question as answered in `channel`: one that names no school, asked in (or while viewing) a
        channel the district file gives a school, is about that school."""
        from bot.district.service import NotLoaded

        try:
            rule = self.district.config().channel(channel)
        except NotLoaded:
            return question
        if rule is None or rule.school is None or self.data_answers.schools_named(question):
            return question
        if _DISTRICT_WIDE.search(question):  # "which schools ...", "the district's priorities": all of them
            return question
        school = self.district.store.schools().get(rule.school)
        return f"{question} (at {school.name})" if school else question

    def recent_checkins(self, user: str, weeks: int) -> list[dict] | None:
        """A member's items of their last `weeks` check-ins, each with the name of what it serves; None when
        check-ins are off."""
        from bot.checkins.service import NotConfigured

        try:
            return self.checkins.recent(user, weeks, self.clock())
        except NotConfigured:
            return None

    def warm_up(self) -> None:
        """Load the model, the index and the check-in classifier now, so the first question is not the
        slow one and a check-in form is saved within the 3 seconds Slack waits."""
        from bot.checkins.service import NotConfigured
        from bot.notes.model import NOTES_CORPUS

        self.asking  # noqa: B018 (builds the answerer, the engine and the log)
        self.index(PUBLIC).snapshot()
        self.embeddings.embed_query("warm up")
        self.vectors(NOTES_CORPUS)  # after an upgrade, before the first note is asked about
        with contextlib.suppress(NotConfigured):  # check-ins off: nothing to classify
            self.checkins.classify(["warm up"])

    @cached_property
    def district(self):
        """Priorities, targets, results and progress."""
        from bot.district.service import District
        from bot.district.store import DistrictStore

        return District(store=DistrictStore(engine=self.engine), knowledge_dir=self.settings.knowledge_dir,
                        district_file=self.settings.district_file, cards_dir=self.settings.cards_dir)  # fmt: skip

    @cached_property
    def checkins(self):
        """Weekly check-ins: answers, support requests, summaries."""
        from bot.checkins.service import CheckIns
        from bot.checkins.store import CheckinStore

        return CheckIns(store=CheckinStore(engine=self.engine), district=self.district,
                        classifier=self.priority_judgement)  # fmt: skip

    @cached_property
    def notes(self):
        """Intervention notes: private to the readers the district file entitles."""
        from bot.notes.copies import NoteCopies
        from bot.notes.service import Notes
        from bot.notes.store import NotesStore

        return Notes(
            store=NotesStore(engine=self.engine), district=self.district, ingester=lambda: self.ingester,
            copies=NoteCopies(engine=self.engine, clock=self.clock),
        )  # fmt: skip
