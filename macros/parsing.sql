{#- Turning export text into typed values. Each macro takes a SQL expression
    of type text and returns an expression; unparseable input gives null, so
    the caller can tell "missing" from "unreadable" and quarantine the row. -#}

{% macro equals_any(expression, values) %}
    {#- expression = v1 or expression = v2 ...: a list of constants written
        as IN is planned by DuckDB as a join per list, which costs several
        times more per row than the comparisons. -#}
    {%- if values | length == 0 %}
        {{ exceptions.raise_compiler_error("equals_any: no value to compare " ~ expression ~ " with") }}
    {%- endif %}
    {%- set comparisons = [] -%}
    {%- for value in values -%}
        {%- do comparisons.append(expression ~ " = '" ~ dbt.escape_single_quotes(value) ~ "'") -%}
    {%- endfor -%}
    ({{ comparisons | join(' or ') }})
{%- endmacro %}

{% macro clean_text(column) %}
    {#- Trimmed text, with the blank-like markers of the exports as null.
        Values longer than the longest marker skip the comparisons. -#}
    {%- set markers = ['', '-', '--', '—'] %}
    {%- set words = ['null', 'none', 'nil', 'n/a', 'na', 'nan'] %}
    {%- set value = 'trim(' ~ column ~ ')' %}
    case
        when length({{ value }}) > {{ (markers + words) | map('length') | max }} then {{ value }}
        when {{ support_kpi.equals_any(value, markers) }} then null
        when {{ support_kpi.equals_any('lower(' ~ value ~ ')', words) }} then null
        else {{ value }}
    end
{% endmacro %}

{% macro normalize_label(column) %}
    {{ return(adapter.dispatch('normalize_label', 'support_kpi')(column)) }}
{% endmacro %}

{% macro default__normalize_label(column) %}
    regexp_replace(lower(trim({{ column }})), '\s+', ' ', 'g')
{% endmacro %}

{% macro normalize_email(column) %}
    {{ return(adapter.dispatch('normalize_email', 'support_kpi')(column)) }}
{% endmacro %}

{% macro default__normalize_email(column) %}
    lower(trim({{ column }}))
{% endmacro %}

{% macro parse_boolean(column) %}
    {#- true/false, 1/0, yes/no, y/n, t/f, да/нет; anything else is null. -#}
    {%- set value = 'lower(trim(' ~ column ~ '))' %}
    case
        when {{ support_kpi.equals_any(value, ['true', 't', '1', 'yes', 'y', 'да', 'д']) }}
            then true
        when {{ support_kpi.equals_any(value, ['false', 'f', '0', 'no', 'n', 'нет', 'н']) }}
            then false
    end
{% endmacro %}

{% macro parse_integer(column) %}
    {{ return(adapter.dispatch('parse_integer', 'support_kpi')(column)) }}
{% endmacro %}

{% macro duckdb__parse_integer(column) %}
    case
        when regexp_full_match(trim({{ column }}), '[+-]?[0-9]+(\.0+)?')
            then try_cast(try_cast(trim({{ column }}) as decimal(38, 4)) as bigint)
    end
{% endmacro %}

{% macro parse_decimal(column) %}
    {{ return(adapter.dispatch('parse_decimal', 'support_kpi')(column)) }}
{% endmacro %}

{% macro duckdb__parse_decimal(column) %}
    {#- 1234.5, 1234,5 (decimal comma), 1.234,50 and 1,234.50 (grouped).
        A lone comma is a decimal comma: exports using it come from shops
        that also write 1.234,50. -#}
    {%- set value = "regexp_replace(trim(" ~ column ~ "), '\\s', '', 'g')" -%}
    case
        when regexp_full_match({{ value }}, '[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+')
            then try_cast(replace(replace({{ value }}, '.', ''), ',', '.') as decimal(18, 4))
        when regexp_full_match({{ value }}, '[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+')
            then try_cast(replace({{ value }}, ',', '') as decimal(18, 4))
        when regexp_full_match({{ value }}, '[+-]?[0-9]*,[0-9]+')
            then try_cast(replace({{ value }}, ',', '.') as decimal(18, 4))
        when regexp_full_match({{ value }}, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)')
            then try_cast({{ value }} as decimal(18, 4))
    end
{% endmacro %}

{% macro parse_timestamp(column, source_timezone=none) %}
    {#- Any timestamp form of the exports to a UTC timestamp without zone:
        ISO 8601 with Z or an offset; ISO without a zone (read in
        source_timezone); DD.MM.YYYY HH:MM[:SS] (source_timezone); Unix epoch
        seconds or milliseconds. Impossible dates give null. -#}
    {%- set tz = source_timezone if source_timezone is not none else var('source_timezone') -%}
    {{ return(adapter.dispatch('parse_timestamp', 'support_kpi')(column, tz)) }}
{% endmacro %}

{% macro duckdb__parse_timestamp(column, source_timezone) %}
    {%- set value = 'trim(' ~ column ~ ')' -%}
    {%- set tz = source_timezone | replace("'", "''") -%}
    {#- The cases exclude each other; the most common form (with a zone)
        is tested first. #}
    case
        when regexp_matches(
            {{ value }},
            '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$'
        )
            then timezone('UTC', try_cast({{ value }} as timestamptz))
        when regexp_full_match({{ value }}, '-?[0-9]{9,11}')
            then timezone('UTC', to_timestamp(try_cast({{ value }} as bigint)))
        when regexp_full_match({{ value }}, '-?[0-9]{12,14}')
            then timezone('UTC', to_timestamp(try_cast({{ value }} as bigint) / 1000.0))
        when regexp_full_match({{ value }}, '[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?')
            then timezone('UTC', timezone('{{ tz }}', coalesce(
                try_strptime({{ value }}, '%d.%m.%Y %H:%M:%S'),
                try_strptime({{ value }}, '%d.%m.%Y %H:%M'),
                try_strptime({{ value }}, '%d.%m.%Y')
            )))
        when regexp_full_match({{ value }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?')
            then timezone('UTC', timezone('{{ tz }}', try_cast({{ value }} as timestamp)))
    end
{% endmacro %}

{% macro plausible_instant_violated(column) %}
    {#- A condition (as SQL text) that holds for a timestamp outside 1970 to
        2099: a mistyped year that would otherwise stretch every calendar. -#}
    {{ return(
        column ~ " < cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ") or "
        ~ column ~ " >= cast('2100-01-01' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}

{% macro rejection_reasons(checks) %}
    {#- checks: list of (condition, reason code, detail expression). The
        codes of the failed checks in list order, comma-separated, or null
        when the row is clean. -#}
    nullif(concat_ws(', '
    {%- for check in checks %},
        case when {{ check[0] }} then '{{ check[1] }}' end
    {%- endfor %}
    ), '')
{% endmacro %}

{% macro rejection_details(checks) %}
    {#- The human-readable details of the failed checks, '; '-separated, or
        null when the row is clean. -#}
    nullif(concat_ws('; '
    {%- for check in checks %},
        case when {{ check[0] }} then {{ check[2] }} end
    {%- endfor %}
    ), '')
{% endmacro %}

{% macro looks_like_personal_data(column) %}
    {#- True for an e-mail address anywhere in the text (any script), or a
        text that is a phone number: 7 to 15 digits written with a leading
        +, spaces, parentheses or dashes. Bare digit strings (ids, epoch
        seconds) and dates are not phones. -#}
    {{ return(adapter.dispatch('looks_like_personal_data', 'support_kpi')(column)) }}
{% endmacro %}

{% macro duckdb__looks_like_personal_data(column) %}
    {#- Written as a CASE so that each test runs only on the values the
        earlier ones left open: in a projection DuckDB evaluates every
        operand of AND and OR on every row, and counting the digits is the
        costly part. -#}
    case
        when {{ column }} is null then null
        when regexp_matches({{ column }}, '[^\s@]+@[^\s@]+\.[^\s@]{2,}') then true
        when not regexp_full_match(trim({{ column }}), '\+?[0-9][0-9 ()./-]{5,22}[0-9]') then false
        when not regexp_matches(trim({{ column }}), '^\+|[ ()-]') then false
        when regexp_full_match(trim({{ column }}), '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?') then false
        when regexp_full_match(trim({{ column }}), '[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}( .*)?') then false
        else length(regexp_replace({{ column }}, '[^0-9]', '', 'g')) between 7 and 15
    end
{% endmacro %}

{% macro shown_value(column) %}
    {#- SQL text showing a value in a rejection detail, or a placeholder when
        the value looks like personal data (it stays in raw_record only). -#}
    {{ return(
        "case when " ~ support_kpi.looks_like_personal_data(column)
        ~ " then '(withheld: personal data, see raw_record)' else " ~ column ~ " end") }}
{% endmacro %}

{% macro withheld_if_personal(column) %}
    {#- A free-text value, or null when it looks like personal data. -#}
    case when not {{ support_kpi.looks_like_personal_data(column) }} then {{ column }} end
{% endmacro %}
