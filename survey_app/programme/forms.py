"""Forms of the programme pages. Labels are bilingual pairs picked per request (``Bi``), so these
page-specific words live beside their fields instead of in the shared catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from diagnostics.programme.config import PROVIDER_KIND_NAMES
from diagnostics.store.models_programme import CASE_KINDS, DEPLOYMENT_STATUSES, DIRECTIONS, PROVIDER_KINDS
from survey_app.forms import CheckboxesField, ShortNumber
from survey_app.i18n import pick


class Bi:
    """A (Chinese, English) label that renders in the page's language."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return pick(self.zh, self.en)

    def __html__(self) -> Markup:
        return escape(str(self))


KIND_NAMES = {k: (v.zh, v.en or v.zh) for k, v in PROVIDER_KIND_NAMES.items()}
DIRECTION_NAMES = {"technology": ("技术赋能", "Technology enablement"), "chain": ("链式转型", "Chain transformation"),
                   "carrier": ("载体赋能", "Carrier enablement")}
STATUS_NAMES = {"planned": ("计划中", "Planned"), "in_progress": ("实施中", "In progress"), "done": ("已完成", "Done"),
                "cancelled": ("已取消", "Cancelled")}
CASE_NAMES = {"typical": ("典型案例", "Typical case"), "benchmark": ("标杆案例", "Benchmark case")}
LEAD_NAMES = {"provider": ("服务商牵头", "Led by a provider"),
              "manufacturer": ("制造业企业牵头", "Led by a manufacturer")}


def choices(names: dict[str, tuple[str, str]], order: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(k, Bi(*names[k])) for k in order]  # a lazily rendered label


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(v, label) for v, label in pairs]


class ProviderForm(FlaskForm):
    name = StringField(Bi("服务商名称", "Provider name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(Bi("统一社会信用代码", "Unified social credit code"), validators=[Optional(), Length(max=40)])
    kind = SelectField(Bi("类型", "Kind"), choices=choices(KIND_NAMES, PROVIDER_KINDS))
    region = StringField(Bi("地区", "Region"), validators=[Optional(), Length(max=100)])
    group_name = StringField(Bi("所属集团", "Group"), validators=[Optional(), Length(max=200)])
    scenarios = CheckboxesField(Bi("服务的场景", "Scenarios served"), choices=[])
    capability = TextAreaField(Bi("能力介绍", "Capability statement"), validators=[Optional(), Length(max=4000)])
    references = TextAreaField(Bi("业绩与参考", "References"), validators=[Optional(), Length(max=4000)])


class ProviderImportForm(FlaskForm):
    file = FileField(Bi("服务商名录（.xlsx）", "Provider list (.xlsx)"),
                     validators=[FileRequired(),
                                 FileAllowed(["xlsx"], Bi("请上传 .xlsx 文件。", "Upload an .xlsx file."))])


class SolutionForm(FlaskForm):
    code = StringField(Bi("代码", "Code"), validators=[DataRequired(), Length(max=64)])
    name_zh = StringField(Bi("方案名称", "Solution name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(Bi("英文名称", "English name"), validators=[Optional(), Length(max=200)])
    provider_id = SelectField(Bi("服务商", "Provider"), coerce=int, choices=[])
    scenarios = CheckboxesField(Bi("适用场景", "Scenarios"), choices=[])
    standardised = BooleanField(Bi("标准化", "Standardised"))
    reusable = BooleanField(Bi("可复用", "Reusable"))
    low_cost = BooleanField(Bi("低成本", "Low cost"))
    price_band = StringField(Bi("价格区间", "Price band"), validators=[Optional(), Length(max=64)])
    description = TextAreaField(Bi("说明", "Description"), validators=[Optional(), Length(max=4000)])


class DeploymentForm(FlaskForm):
    solution_id = SelectField(Bi("解决方案", "Solution"), coerce=int, choices=[])
    provider_id = SelectField(Bi("服务商", "Provider"), coerce=int, choices=[])
    enterprise_uscc = StringField(Bi("应用企业（统一社会信用代码）", "Enterprise (credit code)"),
                                  validators=[DataRequired(), Length(max=40)])
    project_id = SelectField(Bi("所属试点项目", "Pilot project"), coerce=int, choices=[])
    replication = BooleanField(Bi("“1+N”复制推广", "'1+N' replication"))
    status = SelectField(Bi("状态", "Status"), choices=choices(STATUS_NAMES, DEPLOYMENT_STATUSES))
    started_on = DateField(Bi("开始日期", "Start date"), validators=[Optional()])
    finished_on = DateField(Bi("完成日期", "Finish date"), validators=[Optional()])


class ProjectForm(FlaskForm):
    name = StringField(Bi("项目名称", "Project name"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(Bi("年度", "Year"), validators=[DataRequired(), ShortNumber(), NumberRange(2020, 2100)])
    lead_kind = SelectField(Bi("牵头方", "Lead"), choices=choices(LEAD_NAMES, ("provider", "manufacturer")))
    direction = SelectField(Bi("方向", "Direction"), choices=choices(DIRECTION_NAMES, DIRECTIONS))
    solution_id = SelectField(Bi("解决方案", "Solution"), coerce=int, choices=[])
    scenarios = CheckboxesField(Bi("场景", "Scenarios"), choices=[])
    providers = CheckboxesField(Bi("服务商成员", "Provider members"), coerce=int, choices=[])
    landing = TextAreaField(Bi("场景落地企业（统一社会信用代码，每行一个）",
                               "Landing enterprises (credit codes, one a line)"),
                            validators=[Optional(), Length(max=4000)])
    members = TextAreaField(Bi("其他企业成员（统一社会信用代码，每行一个）", "Other member enterprises (credit codes)"),
                            validators=[Optional(), Length(max=4000)])
    planned_investment_10k = FloatField(Bi("预期投入（万元）", "Planned investment (10k yuan)"),
                                        validators=[Optional(), ShortNumber(), NumberRange(min=0)])
    started_on = DateField(Bi("开始日期", "Start date"), validators=[Optional()])
    ends_on = DateField(Bi("结束日期", "End date"), validators=[Optional()])


class CheckpointForm(FlaskForm):
    due_on = DateField(Bi("计划日期", "Due date"), validators=[Optional()])
    held_on = DateField(Bi("实际召开日期", "Held on"), validators=[Optional()])
    actual_investment_10k = FloatField(Bi("累计实际投入（万元）", "Actual investment so far (10k yuan)"),
                                       validators=[Optional(), ShortNumber(), NumberRange(min=0)])
    notes = TextAreaField(Bi("备注", "Notes"), validators=[Optional(), Length(max=4000)])
    link = BooleanField(Bi("关联每家参与企业截至该日期的最新评估",
                           "Link each participant's latest assessment up to this date"))


class AcceptanceItemForm(FlaskForm):
    indicator = StringField(Bi("指标", "Indicator"), validators=[DataRequired(), Length(max=200)])
    target = FloatField(Bi("目标值", "Target"), validators=[Optional(), ShortNumber()])
    actual = FloatField(Bi("实际值", "Actual"), validators=[Optional(), ShortNumber()])
    evidence = TextAreaField(Bi("佐证材料", "Evidence"), validators=[Optional(), Length(max=4000)])


class CaseForm(FlaskForm):
    kind = SelectField(Bi("类型", "Kind"), choices=choices(CASE_NAMES, CASE_KINDS))
    title = StringField(Bi("案例名称", "Title"), validators=[DataRequired(), Length(max=200)])
    enterprise_uscc = StringField(Bi("企业（统一社会信用代码）", "Enterprise (credit code)"),
                                  validators=[DataRequired(), Length(max=40)])
    scenario = SelectField(Bi("场景", "Scenario"), choices=[])
    solution_id = SelectField(Bi("解决方案", "Solution"), coerce=int, choices=[])
    figure_name = StringField(Bi("对比指标", "Figure"), validators=[Optional(), Length(max=100)])
    figure_unit = StringField(Bi("单位", "Unit"), validators=[Optional(), Length(max=20)])
    before = FloatField(Bi("改造前", "Before"), validators=[Optional(), ShortNumber()])
    after = FloatField(Bi("改造后", "After"), validators=[Optional(), ShortNumber()])
    evidence = TextAreaField(Bi("佐证", "Evidence"), validators=[Optional(), Length(max=4000)])


class ExpertForm(FlaskForm):
    name = StringField(Bi("姓名", "Name"), validators=[DataRequired(), Length(max=100)])
    organisation = StringField(Bi("单位", "Organisation"), validators=[Optional(), Length(max=200)])
    chain_link = SelectField(Bi("熟悉的环节", "Chain link"), choices=[])
    years = IntegerField(Bi("从业年限", "Years in the trade"),
                         validators=[Optional(), ShortNumber(), NumberRange(0, 80)])
    experience = TextAreaField(Bi("行业经验", "Trade experience"), validators=[Optional(), Length(max=4000)])
    contact = StringField(Bi("联系方式", "Contact"), validators=[Optional(), Length(max=100)])


class AttachExpertForm(FlaskForm):
    expert_id = SelectField(Bi("懂行人", "Person"), coerce=int, choices=[])
