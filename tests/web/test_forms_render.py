"""Posted HTML form fields back to the nested dict a form validates."""

from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

import forms
from web import forms_render

FORM = forms.load_form("""
key: sample
title: 样例
fields:
  - {name: name, type: string, label: 姓名, required: true}
  - {name: size, type: integer, label: 人数}
  - {name: visited, type: boolean, label: 是否入户}
  - {name: needs, type: multi_choice, label: 需求,
     options: [{value: food, label: 食品}, {value: heat, label: 取暖}]}
  - name: members
    type: rows
    label: 家庭成员
    fields:
      - {name: name, type: string, label: 姓名, required: true}
      - {name: id_number, type: id_number, label: 身份证号码}
""", "sample.yaml")


def test_rows_become_lists_in_index_order_and_blanks_vanish():
    post = MultiDict([
        ("name", " 王建国 "), ("size", "3"), ("visited", "true"), ("needs", "food"),
        ("needs", "heat"), ("members-3-name", "丙"), ("members-0-name", "甲"),
        ("members-0-id_number", ""), ("members-1-name", ""), ("members-1-id_number", ""),
        ("unknown", "x"),
    ])
    assert forms_render.parse(FORM, post) == {
        "name": "王建国", "size": "3", "visited": "true", "needs": ["food", "heat"],
        "members": [{"name": "甲"}, {"name": "丙"}],
    }


def test_an_empty_submission_is_an_empty_dict_so_required_is_the_schema_s_call():
    assert forms_render.parse(FORM, MultiDict([("name", ""), ("members-0-name", "")])) == {}


def test_error_paths_are_named_with_labels_and_row_numbers():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        where = forms_render.error_summary(FORM, {"members.1.id_number": ["校验码错误"]})
    assert where == [("家庭成员 第2行 身份证号码", "校验码错误", "f-members-1-id_number")]
