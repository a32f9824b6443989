{#- PostgreSQL implementations of the engine-specific macros. Each gives the
    same result as its duckdb__ twin for every input, so both warehouses
    accept, reject and key the same rows:

    - regular expressions: DuckDB's RE2 `\s` is [\t\n\f\r ] and `.` stops at
      a line break; PostgreSQL's `\s` follows the locale, so the classes are
      written out;
    - casts: PostgreSQL raises where DuckDB's try_cast gives null, so every
      cast is guarded by a pattern and a range check (in a nested case, the
      one evaluation order PostgreSQL guarantees);
    - timestamps are built from their checked fields, with DuckDB's rules:
      24:00[:00] is the next midnight, fractions beyond microseconds are cut,
      offsets are hours * 60 + minutes however large, year 0 is 1 BC.

    The raw tables are loaded by `support-kpi load --target postgres`
    (src/support_kpi/load.py), so register_exports has nothing to do here. -#}

{% macro postgres__normalize_label(column) %}
    regexp_replace(lower(trim({{ column }})), '[\t\n\f\r ]+', ' ', 'g')
{% endmacro %}

{% macro postgres__parse_integer(column) %}
    {#- bigint range; a longer number is unreadable, as DuckDB's try_cast says. -#}
    case
        when trim({{ column }}) ~ '^[+-]?[0-9]+(\.0+)?$'
            then case
                when
                    cast(trim({{ column }}) as numeric)
                    between -9223372036854775808 and 9223372036854775807
                    then cast(cast(trim({{ column }}) as numeric) as bigint)
            end
    end
{% endmacro %}

{% macro postgres__parse_decimal(column) %}
    {#- As duckdb__parse_decimal; decimal(18, 4) rounds half away from zero
        in both engines, and 10^14 or more is unreadable. -#}
    (
        select
            case
                when parsed.number is not null
                    then case
                        when abs(round(cast(parsed.number as numeric), 4)) < 100000000000000
                            then cast(round(cast(parsed.number as numeric), 4) as numeric(18, 4))
                    end
            end
        from (
            select
                case
                    when squeezed.value ~ '^[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+$'
                        then replace(replace(squeezed.value, '.', ''), ',', '.')
                    when squeezed.value ~ '^[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+$'
                        then replace(squeezed.value, ',', '')
                    when squeezed.value ~ '^[+-]?[0-9]*,[0-9]+$'
                        then replace(squeezed.value, ',', '.')
                    when squeezed.value ~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$'
                        then squeezed.value
                end as number
            from (
                select regexp_replace(trim({{ column }}), '[\t\n\f\r ]', '', 'g') as value
                offset 0
            ) as squeezed
            offset 0
        ) as parsed
    )
{% endmacro %}

{% macro postgres__timestamp_from_fields(
    year, month, day, hour, minute, second, fraction, allow_midnight_24
) %}
    {#- A timestamp from digit fields (text, already matched by a pattern;
        hour, minute, second and fraction may be empty), or null when they
        name no real instant. Microseconds beyond the sixth fraction digit
        are cut; 24:00:00 is the next midnight where `allow_midnight_24` (a
        condition) holds. Year 0 and negative years count astronomically
        (0 = 1 BC), years from 4712 BC to 294246 AD. -#}
    {%- set y = 'cast(' ~ year ~ ' as integer)' -%}
    {%- set pg_year = '(case when ' ~ y ~ ' <= 0 then ' ~ y ~ ' - 1 else ' ~ y ~ ' end)' -%}
    {%- set m = 'cast(' ~ month ~ ' as integer)' -%}
    {%- set d = 'cast(' ~ day ~ ' as integer)' -%}
    {%- set h = "cast(coalesce(nullif(" ~ hour ~ ", ''), '0') as integer)" -%}
    {%- set mi = "cast(coalesce(nullif(" ~ minute ~ ", ''), '0') as integer)" -%}
    {%- set s = "cast(coalesce(nullif(" ~ second ~ ", ''), '0') as integer)" -%}
    {%- set micro = "cast(rpad(left(coalesce(" ~ fraction ~ ", ''), 6), 6, '0') as integer)" -%}
    case
        when {{ y }} between -4711 and 294246 and {{ m }} between 1 and 12
            then case
                when
                    {{ d }} >= 1
                    and {{ d }} <= extract(
                        day from make_date({{ pg_year }}, {{ m }}, 1) + interval '1 month' - interval '1 day'
                    )
                    and (
                        ({{ h }} < 24 and {{ mi }} < 60 and {{ s }} < 60)
                        or (
                            ({{ allow_midnight_24 }})
                            and {{ h }} = 24 and {{ mi }} = 0 and {{ s }} = 0
                            and coalesce({{ fraction }}, '') ~ '^0*$'
                        )
                    )
                    then cast(make_date({{ pg_year }}, {{ m }}, {{ d }}) as timestamp)
                    + {{ h }} * interval '1 hour'
                    + {{ mi }} * interval '1 minute'
                    + {{ s }} * interval '1 second'
                    + {{ micro }} * interval '1 microsecond'
            end
    end
{% endmacro %}

{% macro postgres__parse_timestamp(column, source_timezone) %}
    {#- The branches are duckdb__parse_timestamp's (they exclude each
        other, so their order does not matter); a value whose end looks
        like a zoned time but that DuckDB's timestamptz cast does not read
        is null, not tried against the other forms. Patterns
        only test here (capture groups are slow in PostgreSQL); the fields
        are cut out with string functions. `offset 0` keeps each step a
        step: flattened, the planner would paste a field's expression into
        every use of it and evaluate it that many times. -#}
    {%- set tz = source_timezone | replace("'", "''") -%}
    {%- set zoned_tail = "'[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)? ?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$'" -%}
    {#- The zoned forms DuckDB's timestamptz cast reads: year, month and day
        separated by - or / (the same twice), T and/or white space,
        [H]H:[M]M[:SS[.fraction]], then Z, ' UTC' or an offset +HH, +HHMM or
        +HH:MM (any two digits each). -#}
    {%- set zoned = "'^-?0*[0-9]{1,6}(-[0-9]{1,2}-|/[0-9]{1,2}/)[0-9]{1,2}(T|T?[\\t\\n\\v\\f\\r ]+)"
        ~ "[0-9]{1,2}:[0-9]{1,2}(:[0-9]{2}(\\.[0-9]+)?)?( UTC|Z|[+-][0-9]{2}(:?[0-9]{2})?)$'" -%}
    {%- set zone_suffix = "'( UTC|Z|[+-][0-9]{2}(:?[0-9]{2})?)$'" -%}
    {%- set dotted = "'^[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$'" -%}
    {%- set naive = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?$'" -%}
    {#- The zoned form's date and time, split at T or white space. -#}
    {%- set spaced = "translate(classified.zoneless, 'T' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13), '      ')" -%}
    {%- set instant = postgres__timestamp_from_fields(
        "(case when left(fields.date_text, 1) = '-' then '-' else '' end"
            ~ " || split_part(ltrim(fields.date_text, '-'), '-', 1))",
        "split_part(ltrim(fields.date_text, '-'), '-', 2)",
        "split_part(ltrim(fields.date_text, '-'), '-', 3)",
        "split_part(fields.time_text, ':', 1)",
        "split_part(fields.time_text, ':', 2)",
        "split_part(split_part(fields.time_text, ':', 3), '.', 1)",
        "split_part(split_part(fields.time_text, ':', 3), '.', 2)",
        "fields.form <> 'dotted'") -%}
    (
        select
            case
                when fields.form = 'epoch_seconds'
                    then timestamp '1970-01-01 00:00:00'
                    + cast(fields.value as bigint) * interval '1 second'
                when fields.form = 'epoch_milliseconds'
                    then timestamp '1970-01-01 00:00:00'
                    + (fields.epoch_microseconds / 1000000) * interval '1 second'
                    + (fields.epoch_microseconds % 1000000) * interval '1 microsecond'
                when fields.form = 'zoned'
                    then ({{ instant }}) - fields.offset_minutes * interval '1 minute'
                when fields.form in ('dotted', 'naive')
                    {%- if tz | upper == 'UTC' %}
                    then {{ instant }}
                    {%- else %}
                    then (({{ instant }}) at time zone '{{ tz }}') at time zone 'UTC'
                    {%- endif %}
            end
        from (
            select
                classified.form,
                classified.value,
                {#- DuckDB divides milliseconds by 1000.0 in double precision
                    and rounds to microseconds; far from 1970 that is not
                    exact, so the same arithmetic runs here. -#}
                case
                    when classified.form = 'epoch_milliseconds'
                        then cast(
                            cast(classified.value as double precision) / cast(1000 as double precision)
                            * cast(1000000 as double precision) as bigint
                        )
                end as epoch_microseconds,
                {#- Y-M-D, a negative year with its sign. -#}
                case classified.form
                    when 'zoned' then translate(split_part({{ spaced }}, ' ', 1), '/', '-')
                    when 'dotted'
                        then split_part(split_part(classified.value, ' ', 1), '.', 3)
                        || '-' || split_part(split_part(classified.value, ' ', 1), '.', 2)
                        || '-' || split_part(split_part(classified.value, ' ', 1), '.', 1)
                    when 'naive' then left(classified.value, 10)
                end as date_text,
                {#- H:M[:S[.fraction]], or empty. -#}
                case classified.form
                    when 'zoned' then split_part({{ spaced }}, ' ', -1)
                    when 'dotted' then split_part(classified.value, ' ', 2)
                    when 'naive' then substr(classified.value, 12)
                end as time_text,
                case
                    when classified.zone in (' UTC', 'Z') then 0
                    when classified.zone is not null
                        then (case when left(classified.zone, 1) = '-' then -1 else 1 end)
                        * (
                            cast(substr(classified.zone, 2, 2) as integer) * 60
                            + cast(coalesce(nullif(replace(substr(classified.zone, 4), ':', ''), ''), '0') as integer)
                        )
                end as offset_minutes
            from (
                select
                    forms.form,
                    forms.value,
                    zones.zone,
                    left(forms.value, length(forms.value) - length(zones.zone)) as zoneless
                from (
                    select
                        trimmed.value,
                        case
                            when trimmed.value ~ '^-?[0-9]{9,11}$' then 'epoch_seconds'
                            when trimmed.value ~ '^-?[0-9]{12,14}$' then 'epoch_milliseconds'
                            when trimmed.value ~ {{ zoned_tail }}
                                then case when trimmed.value ~ {{ zoned }} then 'zoned' else 'unreadable' end
                            when trimmed.value ~ {{ dotted }} then 'dotted'
                            when trimmed.value ~ {{ naive }} then 'naive'
                        end as form
                    from (select trim({{ column }}) as value) as trimmed
                    offset 0
                ) as forms
                cross join lateral (
                    select
                        case
                            when forms.form = 'zoned' then substring(forms.value from {{ zone_suffix }})
                        end as zone
                ) as zones
                offset 0
            ) as classified
            offset 0
        ) as fields
    )
{% endmacro %}

{% macro postgres__looks_like_personal_data(column) %}
    {#- duckdb__looks_like_personal_data with RE2's \s written out. -#}
    (
        {{ column }} ~ '[^\t\n\f\r @]+@[^\t\n\f\r @]+\.[^\t\n\f\r @]{2,}'
        or (
            trim({{ column }}) ~ '^\+?[0-9][0-9 ()./-]{5,22}[0-9]$'
            and length(regexp_replace({{ column }}, '[^0-9]', '', 'g')) between 7 and 15
            and trim({{ column }}) ~ '^\+|[ ()-]'
            and not trim({{ column }}) ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][^\n]*)?$'
            and not trim({{ column }}) ~ '^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}( [^\n]*)?$'
        )
    )
{% endmacro %}

{% macro postgres__pseudonymize(column, salt) %}
    {#- The first 32 hex digits of sha256(salt || value), as DuckDB's
        left(sha256(...), 32): the same key on every engine. -#}
    case
        when {{ column }} is not null
            then left(
                encode(sha256(convert_to('{{ salt | replace("'", "''") }}' || {{ column }}, 'UTF8')), 'hex'),
                32
            )
    end
{% endmacro %}

{% macro postgres__collect_freshness(source, loaded_at_field, filter) %}
    {#- Freshness against the build's reference instant, parsed from the
        export text, exactly as on DuckDB (that macro's SQL is portable). -#}
    {{ return(support_kpi.duckdb__collect_freshness(source, loaded_at_field, filter)) }}
{% endmacro %}

{% macro postgres__grant_marts_schema_usage() %}
    {#- dbt's grants config (dbt_project.yml) gives the dashboards' role,
        $SUPPORT_KPI_BI_READER_ROLE (default bi_reader), select on each mart;
        reading them also needs usage on their schema, granted here once the
        run is over. Staging, intermediate and raw schemas get nothing. -#}
    {% if not execute %}{{ return('') }}{% endif %}
    {% set schemas = [] %}
    {% for node in graph.nodes.values()
        if node.resource_type == 'model' and node.fqn[1] == 'marts'
        and node.schema not in schemas %}
        {% do schemas.append(node.schema) %}
    {% endfor %}
    {% for schema in schemas %}
        {% do run_query('create schema if not exists ' ~ adapter.quote(schema)) %}
        {% do run_query(
            'grant usage on schema ' ~ adapter.quote(schema) ~ ' to ' ~ adapter.quote(env_var('SUPPORT_KPI_BI_READER_ROLE', 'bi_reader'))) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}
