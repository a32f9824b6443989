{% test expression_is_true(model, expression, column_name=none, where=none) %}
{#- Fails on every row for which the boolean expression is not true
    (false or null). At column level the column name is only a label. -#}
select *
from {{ model }}
where
    not coalesce({{ expression }}, false)
    {%- if where %}
    and ({{ where }})
    {%- endif %}
{% endtest %}
