"""Sample projects for the demo (`make run`): every demo role finds work waiting.

A new user who signs in to an empty platform sees nothing to do. These projects are driven
through the real process: registered, their tasks completed and their timers fired by the same
services the pages, the API and the timer worker use; no row or state is written here. The
diagram decides what follows each step; the story only says which answers are given.

The first patrol falls due two weeks after the first visit, so the story starts in the past: the
wall clock is replayed (time-machine) from a fortnight ago to today, and the history, the
deadlines and the due dates read as if the sites had been managed for two weeks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from ...domain.workdays import XIAMEN
from ...persistence.models import InboxTask, Project, User, db
from ..designer import diagram_names
from ..ledger import queries
from ..lifecycle.instances import checklist_for, complete, register_project, report_lead
from ..lifecycle.timers import fire_due_timers

FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS", "people_briefed": 4}
NOT_STARTED = {"site_matches": "yes", "site_status": "NOT_STARTED"}
WORKER_ID = "sample-projects"


class SampleStoryFailed(RuntimeError):
    """The process no longer gives the task the story expects (the diagram changed)."""


def load_sample_projects(now: datetime | None = None) -> int:
    """Build the sample projects unless the database already has projects; returns how many.
    Registered a few days before their planned start (P-07), so none is a late registration."""
    if db.session.scalar(select(func.count()).select_from(Project)):
        return 0
    try:
        import time_machine
    except ImportError as exc:  # a production install without the demo extra
        raise SampleStoryFailed("sample projects need time-machine: pip install 'xiaosan[demo]'") from exc
    story = _Story(now or datetime.now(timezone.utc), time_machine)
    story.tell()
    return len(story.projects)


class _Story:
    def __init__(self, now: datetime, time_machine):
        self.now = now
        self.today = now.astimezone(XIAMEN).date()
        self.time_machine = time_machine
        self.projects: dict[str, int] = {}
        self.users = {u.username: u for u in db.session.scalars(select(User))}

    def tell(self) -> None:
        # Two weeks ago: six sites registered by their owners, visited by the inspector that day.
        with self._ago(days=14, hours=9):
            for key in ("rectify", "patrolled", "stop", "enforcement", "housing", "written_off"):
                self._register(key)
        with self._ago(days=14, hours=10):
            for key in ("rectify", "patrolled", "stop", "enforcement", "housing", "written_off"):
                self._first_visit(key)
        # Last week: a facade repair, visited the next day (its first patrol is still ahead).
        with self._ago(days=5):
            self._register("declare")
        with self._ago(days=4):
            self._first_visit("declare")
        # A flat whose works start next week, registered early: visited before the start, it waits (待开工).
        with self._ago(days=3):
            self._register("ahead")
        with self._ago(days=2):
            self._first_visit("ahead", NOT_STARTED)
        # This morning the first patrols fell due; the timer worker handed them to the inspector,
        # who patrolled, wrote one site off and proposed stopping three; the supervisor agreed twice.
        with self._ago(hours=9):
            self._fire_timers()
        with self._ago(hours=8):
            self._patrol(
                "rectify",
                "rectify",
                hazard_severity="GENERAL",
                hazard_description="临时用电线路沿地面敷设，未使用漏电保护开关。",
            )
            self._patrol("written_off", "completed", site_status="COMPLETED")
            self._patrol(
                "stop",
                "stop_now",
                hazard_severity="MAJOR",
                hazard_description="外墙脚手架未设连墙件，作业层无防护栏杆，工人未系安全带。",
            )
            self._patrol(
                "enforcement",
                "stop_now",
                hazard_severity="MAJOR",
                hazard_description="屋面擅自加建砖混结构房间，超出登记范围。",
            )
            self._patrol(
                "housing",
                "stop_now",
                hazard_severity="MAJOR",
                hazard_description="拆除室内承重墙，未见原设计单位或鉴定单位意见。",
            )
        with self._ago(hours=7):
            self._complete(
                "inspector_lj",
                "written_off",
                diagram_names.WRITEOFF,
                {
                    "scaffold_removed": True,
                    "temp_power_removed": True,
                    "debris_cleared": True,
                    "outcome": "written_off",
                    "note": "现场已清理完毕，临时用电已拆除。",
                },
            )
            self._propose_stop(
                "stop", "MAJOR_HAZARD", "外墙脚手架存在坍塌和高处坠落风险，需立即停工整改。", handover="no"
            )
            self._propose_stop(
                "enforcement",
                "PROHIBITED_ACT",
                "屋面违法加建，涉嫌违法建设。",
                handover="yes",
                violation="ILLEGAL_ADDITION",
            )
            self._propose_stop(
                "housing",
                "UNSAFE_CONDITIONS",
                "擅自拆改承重结构，危及房屋安全。",
                handover="yes",
                violation="STRUCTURAL_CHANGE",
            )
        with self._ago(hours=6):
            for key in ("enforcement", "housing"):
                self._complete(
                    "supervisor_lj",
                    key,
                    diagram_names.APPROVE_STOP_WORK,
                    {"approved": "yes", "opinion": "同意停工，移送区级部门依法处理。"},
                )
        # No enforcement case system took the 综合执法 case within P-34b: the department's own task.
        with self._ago(hours=1):
            self._fire_timers()
        # Within the hour: a new registration in each district and a grid worker's lead.
        with self._ago(minutes=30):
            self._register("unvisited")
            self._register("huli")
            self.projects["lead"] = report_lead(
                self.users["grid_lj"],
                {
                    "street": "350203001",
                    "community": "350203001002",
                    "address": "思明区镇海路 57 号",
                    "latitude": 24.4512,
                    "longitude": 118.0825,
                    "urgency": "NORMAL",
                    "description": "沿街店铺夜间敲墙，门口堆放建筑垃圾，未见施工公示牌。",
                },
            ).id

    @contextmanager
    def _ago(self, **delta: float) -> Iterator[None]:
        """Replay the clock from that long before now (its first patrol falls due 14 days after a
        first visit, hence the first visits 14 days and 10 hours ago and the timers 9 hours ago)."""
        with self.time_machine.travel(self.now - timedelta(**delta), tick=True):
            yield

    def _register(self, key: str) -> None:
        owner, data = SITES[key]
        self.projects[key] = register_project(self.users[owner], _registration(dict(data), self.today)).id

    def _first_visit(self, key: str, found: dict = FIRST_VISIT) -> None:
        inspector = "inspector_hl" if key == "huli" else "inspector_lj"
        self._complete(inspector, key, diagram_names.FIRST_VISIT, found)

    def _fire_timers(self) -> None:
        while fire_due_timers(WORKER_ID):
            pass

    def _patrol(self, key: str, outcome: str, site_status: str = "IN_PROGRESS", **hazard) -> None:
        task = self._task(key, diagram_names.PATROL)
        checklist = {item["code"]: "OK" for item in _checklist(task)}
        self._complete(
            "inspector_lj",
            key,
            diagram_names.PATROL,
            {"site_status": site_status, "checklist": checklist, "outcome": outcome, **hazard},
        )

    def _propose_stop(self, key: str, reason: str, facts: str, **handover) -> None:
        self._complete(
            "inspector_lj",
            key,
            diagram_names.PROPOSE_STOP_WORK,
            {"reason": reason, "scope": "WHOLE_SITE", "facts": facts, "imminent": "no", **handover},
        )

    def _complete(self, username: str, key: str, element_id: str, data: dict) -> None:
        complete(self.users[username], self._task(key, element_id).id, data)

    def _task(self, key: str, element_id: str) -> InboxTask:
        task = db.session.scalar(
            select(InboxTask).where(InboxTask.project_id == self.projects[key], InboxTask.element_id == element_id)
        )
        if task is None:
            raise SampleStoryFailed(f"sample project {key!r}: the process gave no {element_id!r} task")
        return task


def _checklist(task: InboxTask) -> list[dict]:
    """The patrol checklist the task's form shows for this project (as the API gives it)."""
    project = db.session.get(Project, task.project_id)
    return checklist_for(queries.project_data(project)) if project is not None else []


def _registration(site: dict, today: date) -> dict:
    """A registration form's data: the site's own fields over a typical small fit-out."""
    start, end = (today + timedelta(days=site.pop("start_in")), today + timedelta(days=site.pop("end_in")))
    return {
        "object_type": "SMALL_WORKS",
        "street": "350203001",
        "community": "350203001001",
        "owner_type": "INDIVIDUAL",
        "contractor_type": "QUALIFIED_ENTERPRISE",
        "worker_count": 6,
        "risk_flags": ["HEIGHT_2M", "TEMP_POWER"],
        "is_temporary": False,
        "has_safety_insurance": False,
        "commitment_signed": True,
        **site,
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
    }


# The owners named on the forms: owner1 registers for 张建国, owner2 for 李秀英 and two companies.
ZHANG = {"owner_name": "张建国", "owner_id_no": "350203198001011234", "owner_phone": "13800001111"}
LI = {"owner_name": "李秀英", "owner_id_no": "350203198505052345", "owner_phone": "13606002345"}

# Per story key: the owner who registers it and the site's registration fields.
SITES: dict[str, tuple[str, dict]] = {
    "rectify": (
        "owner1",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "鹭江道 88 号临街店面装修",
            "description": "临街店面室内装修，含吊顶、水电改造和外立面招牌更换。",
            "address": "思明区鹭江道 88 号",
            "latitude": 24.4556,
            "longitude": 118.0712,
            "place_type": "SHOP_STREET",
            **ZHANG,
            "contractor_name": "厦门安建装饰工程有限公司",
            "site_manager_name": "李明",
            "site_manager_phone": "13900002222",
            "investment_wan": 35,
            "floor_area_m2": 180,
            "start_in": -10,
            "end_in": 40,
        },
    ),
    "declare": (
        "owner1",
        {
            "category": "FACADE_RENOVATION",
            "title": "大同路 126 号骑楼外墙维修粉刷",
            "community": "350203001001",
            "description": "骑楼沿街外墙空鼓铲除、修补和涂料粉刷，搭设落地式脚手架。",
            "address": "思明区大同路 126 号",
            "latitude": 24.4571,
            "longitude": 118.0768,
            "place_type": "SHOP_STREET",
            **ZHANG,
            "contractor_name": "厦门鹭岛建筑劳务有限公司",
            "site_manager_name": "陈志强",
            "site_manager_phone": "13906001234",
            "worker_count": 5,
            "investment_wan": 12,
            "floor_area_m2": 420,
            "risk_flags": ["HEIGHT_2M", "FACADE", "SCAFFOLD"],
            "start_in": -1,
            "end_in": 20,
        },
    ),
    "patrolled": (
        "owner2",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "升平路 15 号茶叶店装修",
            "community": "350203001002",
            "description": "茶叶店室内装修，更换地面砖、墙面乳胶漆和灯具。",
            "address": "思明区升平路 15 号",
            "latitude": 24.4563,
            "longitude": 118.0797,
            "place_type": "SHOP_STREET",
            **LI,
            "contractor_name": "厦门佳美装饰设计工程有限公司",
            "site_manager_name": "黄伟",
            "site_manager_phone": "13959201234",
            "investment_wan": 18,
            "floor_area_m2": 90,
            "start_in": -10,
            "end_in": 30,
        },
    ),
    "stop": (
        "owner2",
        {
            "category": "FACADE_RENOVATION",
            "title": "镇海路 31 号临街楼外立面改造",
            "community": "350203001002",
            "description": "沿街五层楼外立面拆除旧装饰板、重做保温和真石漆，搭设双排脚手架。",
            "address": "思明区镇海路 31 号",
            "latitude": 24.4505,
            "longitude": 118.0819,
            "place_type": "SHOP_STREET",
            "owner_type": "UNIT",
            "owner_name": "厦门镇海商贸有限公司",
            "owner_id_no": "91350203MA2XYK1234",
            "owner_phone": "0592-2061234",
            "contractor_name": "厦门立新建设工程有限公司",
            "site_manager_name": "刘建华",
            "site_manager_phone": "13860101234",
            "worker_count": 12,
            "investment_wan": 60,
            "floor_area_m2": 900,
            "risk_flags": ["HEIGHT_2M", "FACADE", "SCAFFOLD", "TEMP_POWER"],
            "start_in": -10,
            "end_in": 45,
        },
    ),
    "enforcement": (
        "owner2",
        {
            "category": "HOUSING_MUNICIPAL",
            "title": "思明北路 210 号住宅屋面防水翻新",
            "description": "屋面旧防水层铲除，重做防水和隔热层。",
            "address": "思明区思明北路 210 号",
            "latitude": 24.4618,
            "longitude": 118.0842,
            "place_type": "RESIDENTIAL_UNMANAGED",
            **LI,
            "contractor_type": "TEAM",
            "contractor_name": "王师傅防水班组",
            "site_manager_name": "王福生",
            "site_manager_phone": "13799881234",
            "worker_count": 4,
            "investment_wan": 8,
            "floor_area_m2": 150,
            "start_in": -10,
            "end_in": 25,
        },
    ),
    "housing": (
        "owner2",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "大同路 302 号餐厅装修",
            "community": "350203001001",
            "description": "餐厅室内装修，含厨房排烟、吊顶、水电和隔墙改造。",
            "address": "思明区大同路 302 号",
            "latitude": 24.4580,
            "longitude": 118.0801,
            "place_type": "SHOP_STREET",
            "owner_type": "UNIT",
            "owner_name": "厦门同味餐饮管理有限公司",
            "owner_id_no": "91350203MA3ABC5678",
            "owner_phone": "0592-2105678",
            "contractor_name": "厦门宏达装饰工程有限公司",
            "site_manager_name": "郑国平",
            "site_manager_phone": "13656001234",
            "worker_count": 8,
            "investment_wan": 45,
            "floor_area_m2": 260,
            "start_in": -10,
            "end_in": 35,
        },
    ),
    "written_off": (
        "owner1",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "鹭江道 52 号办公室装修",
            "description": "写字楼内办公室隔断、地毯和灯具更换。",
            "address": "思明区鹭江道 52 号 8 楼",
            "latitude": 24.4531,
            "longitude": 118.0705,
            "place_type": "OTHER",
            **ZHANG,
            "contractor_name": "厦门安建装饰工程有限公司",
            "site_manager_name": "李明",
            "site_manager_phone": "13900002222",
            "worker_count": 5,
            "investment_wan": 20,
            "floor_area_m2": 140,
            "start_in": -10,
            "end_in": 3,
        },
    ),
    "unvisited": (
        "owner1",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "镇海路 8 号奶茶店装修",
            "community": "350203001002",
            "description": "奶茶店装修，含水电改造、吧台制作和门头招牌安装。",
            "address": "思明区镇海路 8 号",
            "latitude": 24.4509,
            "longitude": 118.0790,
            "place_type": "SHOP_STREET",
            **ZHANG,
            "contractor_type": "TEAM",
            "contractor_name": "林师傅装修班组",
            "site_manager_name": "林国栋",
            "site_manager_phone": "13959281234",
            "worker_count": 4,
            "investment_wan": 15,
            "floor_area_m2": 60,
            "start_in": 3,
            "end_in": 30,
        },
    ),
    "ahead": (
        "owner2",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "厦禾路 520 号服装店装修",
            "community": "350203001001",
            "description": "服装店室内装修，含吊顶、灯具、货架安装和墙面翻新。",
            "address": "思明区厦禾路 520 号",
            "latitude": 24.4660,
            "longitude": 118.0901,
            "place_type": "SHOP_STREET",
            **LI,
            "contractor_type": "TEAM",
            "contractor_name": "陈师傅装修班组",
            "site_manager_name": "陈国强",
            "site_manager_phone": "13959301234",
            "worker_count": 4,
            "investment_wan": 10,
            "floor_area_m2": 95,
            "risk_flags": ["TEMP_POWER"],
            "start_in": 6,
            "end_in": 50,
        },
    ),
    "huli": (
        "owner2",
        {
            "category": "FITOUT_NONRESIDENTIAL",
            "title": "湖里大道 45 号厂房改办公装修",
            "street": "350206001",
            "community": "350206001001",
            "description": "旧厂房二层改造为办公区，含轻钢龙骨隔墙、吊顶和消防喷淋改造。",
            "address": "湖里区湖里大道 45 号",
            "latitude": 24.5108,
            "longitude": 118.1123,
            "place_type": "FACTORY",
            "owner_type": "UNIT",
            "owner_name": "厦门湖里智造科技有限公司",
            "owner_id_no": "91350206MA4DEF9012",
            "owner_phone": "0592-5701234",
            "contractor_name": "厦门恒盛建设工程有限公司",
            "site_manager_name": "周海涛",
            "site_manager_phone": "13806051234",
            "worker_count": 10,
            "investment_wan": 80,
            "floor_area_m2": 1200,
            "start_in": 4,
            "end_in": 60,
        },
    ),
}
