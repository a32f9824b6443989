{% test expression_is_true(model, expression, where=none) %}
{#- Fails on every row for which the boolean expression is not true
    (false or null). -#}
select *
from {{ model }}
where
    not coalesce({{ expression }}, false)
    {%- if where %}
    and ({{ where }})
    {%- endif %}
{% endtest %}
