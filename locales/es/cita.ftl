# Español (idioma por defecto). Cada clave es un texto de las páginas; los que llevan
# { $algo } reciben un valor. Para añadir un idioma, copia este archivo a
# locales/<código>/cita.ftl y tradúcelo: la página lo ofrecerá sola.

language-name = Español
site-name = Cita previa
skip-to-content = Saltar al contenido
language-switch = Idioma
footer-accessibility = Accesibilidad
footer-privacy = Privacidad
footer-home = Inicio
back = Volver
continue = Continuar
change = Cambiar
error-summary-title = Hay un problema

# Inicio
start-title = Cita previa en oficinas públicas
start-lead = Pide cita para hacer un trámite en una oficina: eliges el trámite, la oficina, el día y la hora. Si ya tienes cita, puedes verla, cambiarla o anularla.
start-book = Pedir cita
start-manage = Ver, cambiar o anular mi cita
start-needs = Necesitas tu DNI, NIE o pasaporte.

# Trámite
procedure-title = ¿Qué trámite quieres hacer?
procedure-offices = { $count ->
    [one] En 1 oficina
   *[other] En { $count } oficinas
}
procedure-duration = Dura unos { $minutes } minutos
procedure-bring = Qué llevar
procedure-choose = Elegir { $name }

# Oficina
office-title = ¿En qué oficina?
office-for = Trámite: { $procedure }
office-filter-label = Buscar por provincia o municipio
office-filter-button = Buscar
office-filter-clear = Ver todas
office-next = Primer día con citas libres: { $date }
office-none = No hay citas libres en los próximos { $days } días
office-none-found = Ninguna oficina de «{ $query }» ofrece este trámite.
office-choose = Elegir esta oficina

# Día
day-title = ¿Qué día?
day-week = Semana del { $from } al { $to }
day-previous = Semana anterior
day-next = Semana siguiente
day-free = { $count ->
    [one] 1 hora libre
   *[other] { $count } horas libres
}
day-full = Completo
day-closed = Cerrado
day-holiday = Festivo
day-opens = Se abre el { $date } a las { $time }
day-draw = Se sortea el { $date } a las { $time }
day-next-release = Las citas de este trámite se abren en horas fijas, para todo el mundo a la vez. La próxima apertura es el { $date } a las { $time }.
day-staff-share = Parte de las citas de cada día se guarda para quien la pide por teléfono o en la oficina. Las que no se usan se ofrecen aquí { $hours } horas antes.
day-not-offered = Sin citas de este trámite
time-not-offered = Este trámite no tiene citas ese día.
day-not-yet = Aún no se puede pedir
day-past = Ya ha pasado
day-typed-label = O escribe una fecha
day-typed-hint = Por ejemplo, { $example }
day-typed-button = Ver las horas de ese día
day-bad-date = Escribe la fecha como año-mes-día, por ejemplo { $example }.

# Hora
time-title = ¿A qué hora?
time-on = { $date }
zone-canary = hora canaria
time-zone-note = Horas de Canarias: una hora menos que en la Península.
time-none = Ese día no quedan horas libres.
time-other-day = Elegir otro día
time-taken = Esa hora se acaba de ocupar. Elige otra; estas son las más cercanas.
time-choose = Reservar las { $time }
time-hold-note = Al elegir una hora te la guardamos unos minutos mientras rellenas tus datos.

# Datos
details-title = Tus datos
details-held = Te guardamos esta hora hasta las { $time }.
details-held-extend = Necesito más tiempo
details-held-extended = Te guardamos la hora unos minutos más, hasta las { $time }.
details-hold-expired = Ha pasado el tiempo que te guardábamos la hora. Hemos conservado lo que escribiste: si la hora sigue libre, puedes continuar.
name-label = Nombre y apellidos
document-type-label = Tipo de documento
document-type-dni = DNI
document-type-nie = NIE (tarjeta de extranjero)
document-type-passport = Pasaporte
document-label = Número del documento
document-hint = Con la letra. Por ejemplo, 12345678Z o X1234567L.
email-label = Correo electrónico (opcional)
email-hint = Solo para enviarte la cita. No lo usamos para nada más.
phone-label = Teléfono (opcional)
phone-hint = Solo para avisarte si la oficina tiene que cambiar tu cita.
details-privacy = Usamos estos datos solo para tu cita y los borramos { $days } días después. <a href="{ $link }">Cómo tratamos tus datos</a>.
error-name-empty = Escribe tu nombre y apellidos.
error-name-long = El nombre es demasiado largo (como mucho 200 letras).
error-document-empty = Escribe el número de tu documento.
error-document-letter = La letra no corresponde al número. Revisa el documento.
error-document-format = Ese número no parece un DNI ni un NIE. Un DNI tiene 8 cifras y una letra; un NIE empieza por X, Y o Z.
error-document-passport = Un pasaporte tiene entre 5 y 20 letras y cifras.
error-email = Ese correo no parece válido. Déjalo vacío si no quieres ponerlo.
error-phone = Ese teléfono no parece válido: escribe entre 6 y 20 cifras.

# Comprobar
check-title = Comprueba tu cita
check-procedure = Trámite
check-office = Oficina
check-when = Día y hora
check-name = Nombre
check-document = Documento
check-email = Correo
check-phone = Teléfono
check-none = No indicado
check-confirm = Confirmar la cita
check-limit-procedure = Ya tienes una cita para este trámite. Búscala con tu localizador para cambiarla o anularla.
check-limit-reschedules = Esta cita ya se ha cambiado todas las veces que se permite. Puedes mantener su hora, o anularla y pedir otra.
check-limit-waiting = Todavía no se puede pedir este trámite con este documento: después de una cita a la que no se acudió, o de varias anulaciones, hay un plazo de espera. Vuelve a intentarlo dentro de unos días, o pregunta en la oficina.
check-limit-overlap = Ya tienes otra cita a esa hora. Elige otra hora, o busca esa cita con tu localizador para cambiarla o anularla.

# Confirmación
done-title = Cita confirmada
done-locator = Tu localizador
done-locator-hint = Guárdalo: con él y tu documento puedes ver, cambiar o anular la cita.
done-when = { $date }, a las { $time }
done-where = Dónde
done-bring = Qué llevar
done-calendar = Añadir a mi calendario
done-print = Imprimir
done-change = Para cambiar o anular la cita, entra en «Ver, cambiar o anular mi cita» con tu localizador y tu documento.
done-manage = Ver, cambiar o anular mi cita

# Gestionar
manage-title = Tu cita
manage-find-title = Buscar mi cita
manage-find-lead = Escribe el localizador que te dimos al pedir la cita y tu documento.
locator-label = Localizador
locator-hint = 8 letras y cifras, por ejemplo 7K3MZQ2D.
manage-find-button = Buscar mi cita
manage-not-found = No hay ninguna cita con ese localizador y ese documento. Revisa los dos.
error-locator-empty = Escribe el localizador.
manage-status = Estado
status-booked = Confirmada
status-checked_in = En la oficina
status-completed = Atendida
status-no_show = No se presentó
status-cancelled = Anulada
manage-reschedule = Cambiar el día o la hora
manage-cancel = Anular la cita
manage-moved = Hemos cambiado tu cita. Tu localizador es el mismo.
manage-reschedule-title = Elige el nuevo día
manage-reschedule-time-title = Elige la nueva hora
manage-reschedule-choose = Cambiar a las { $time }
manage-reschedule-note = Al elegir una hora, tu cita pasa a esa hora; el localizador no cambia.
manage-cancel-title = ¿Seguro que quieres anular la cita?
manage-cancel-lead = La hora quedará libre para otra persona. Si la necesitas otra vez, tendrás que pedir una nueva cita.
manage-cancel-confirm = Sí, anular la cita
manage-cancel-keep = No, mantener la cita
cancelled-title = Cita anulada
cancelled-lead = Tu cita del { $date } a las { $time } está anulada.
cancelled-again = Pedir otra cita
manage-expired = Vuelve a buscar tu cita: por seguridad, la búsqueda caduca pasado un rato.

# Problemas
problem-title = Algo no ha ido bien
problem-not-found-title = No encontramos esta página
problem-not-found = Puede que el enlace esté mal o que la página ya no exista.
problem-rate-limited-title = Demasiados intentos
problem-rate-limited = Has hecho muchas peticiones seguidas. Espera { $seconds } segundos y vuelve a intentarlo.
problem-busy-title = Hay mucha gente ahora mismo
problem-busy = No hemos podido atenderte. Espera { $seconds } segundos y vuelve a intentarlo; no has perdido nada.
problem-unavailable-title = Servicio no disponible
problem-unavailable = Ahora mismo no podemos atenderte. Vuelve a intentarlo en unos segundos; no se ha cambiado nada.
problem-expired-title = La página ha caducado
problem-expired = Por seguridad, el formulario caduca. Vuelve a empezar desde el principio.
problem-other = Vuelve a intentarlo. Si sigue pasando, llama a la oficina.
problem-reference = Referencia del error: { $id }
problem-home = Ir al inicio

# Accesibilidad y privacidad
accessibility-title = Declaración de accesibilidad
privacy-title = Cómo tratamos tus datos

# Fechas
weekday-1 = lunes
weekday-2 = martes
weekday-3 = miércoles
weekday-4 = jueves
weekday-5 = viernes
weekday-6 = sábado
weekday-7 = domingo
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
date-long = { $weekday }, { $day } de { $month } de { $year }
date-short = { $weekday } { $day } de { $month }

# Declaración de accesibilidad (Real Decreto 1112/2018)
accessibility-1 = Queremos que todas las personas puedan pedir y gestionar su cita en este sitio web, conforme al Real Decreto 1112/2018 sobre accesibilidad de los sitios web del sector público.
accessibility-2 = Situación de cumplimiento: este sitio web es plenamente conforme con la norma UNE-EN 301 549:2022, que recoge las pautas WCAG 2.1 de nivel AA. Cada página se comprueba de forma automática con axe-core y se recorre solo con el teclado antes de cada versión.
accessibility-3 = Funciona sin JavaScript, con lector de pantalla, con el teclado, al 200 % de ampliación y en pantallas de 320 píxeles de ancho. El tiempo que te guardamos una hora se puede ampliar.
accessibility-4 = Si encuentras algún problema de accesibilidad, o necesitas la información en otro formato, escríbenos o llama a tu oficina: te responderemos en un plazo de 20 días hábiles. Si no quedas conforme con la respuesta, puedes presentar una reclamación ante la unidad responsable de accesibilidad del organismo.
accessibility-5 = Esta declaración se preparó el 6 de diciembre de 2026 y se revisa con cada versión del servicio.

# Privacidad
privacy-1 = Pedimos tu nombre y tu documento para que la oficina sepa quién viene y para que nadie pueda tener más de una cita para el mismo trámite. El correo y el teléfono son opcionales: solo sirven para enviarte la cita o avisarte de un cambio.
privacy-2 = Tus datos se guardan en la base de datos del servicio y solo los ve el personal de la oficina de tu cita. No aparecen en ninguna dirección web ni en los registros del servidor.
privacy-3 = Borramos tu nombre, documento, correo y teléfono { $days } días después de la cita. Si la cita ya ha pasado o la has anulado, puedes borrarlos tú antes.
privacy-4 = Mientras pides la cita, lo que escribes se guarda cifrado en una cookie de tu navegador, que se borra al cerrarlo o a la media hora sin usarla. Otra cookie recuerda el idioma que eliges. No usamos cookies de publicidad ni de análisis.
privacy-5 = Puedes ejercer tus derechos de acceso, rectificación, supresión y oposición ante el organismo responsable de la oficina, conforme al Reglamento General de Protección de Datos y la Ley Orgánica 3/2018.

# Personal de la oficina
staff-site-name = Citas · Personal
staff-nav-label = Menú del personal
staff-nav-agenda = Agenda del día
staff-nav-walk-in = Cita en ventanilla o por teléfono
staff-nav-closures = Cerrar la oficina
staff-signed-in-as = { $name } ({ $role })
staff-role-admin = administración
staff-role-manager = responsable
staff-role-agent = ventanilla
staff-sign-out = Salir
staff-signed-out = Has salido. Para volver a entrar, pega tu clave de personal.
staff-sign-in-title = Entrar como personal de la oficina
staff-sign-in-lead = Pega la clave de personal que te dieron. Solo hace falta una vez: después la sesión se cierra sola tras unas horas sin uso, o cuando pulses «Salir».
staff-token-label = Clave de personal
staff-token-hint = Una línea larga de letras y números. No la compartas con nadie.
staff-sign-in-button = Entrar
staff-sign-in-wrong = Esa clave no es válida o ya no funciona. Comprueba que la has pegado entera.
staff-agenda-title = Agenda del día
staff-office-label = Oficina
staff-date-label = Día
staff-show-day = Ver ese día
staff-day-nav = Cambiar de día
staff-previous-day = Día anterior
staff-today = Hoy
staff-next-day = Día siguiente
staff-day-holiday = Es festivo: la oficina está cerrada.
staff-day-closed = La oficina está cerrada este día.
staff-next-label = Siguiente:
staff-next-due = { $time } · { $name } · { $procedure } · { $desk }
staff-next-badge = Siguiente
staff-agenda-counts = { $total ->
    [one] 1 cita
   *[other] { $total } citas
}, { $active } pendientes
staff-refresh = Actualizar
staff-view-list = Ver como lista
staff-view-desks = Ver por puestos
staff-print = Imprimir
staff-print-title = Agenda para imprimir
staff-agenda-empty = No hay citas este día.
staff-desk-empty = Sin citas.
staff-col-time = Hora
staff-col-desk = Puesto
staff-col-citizen = Persona
staff-col-procedure = Trámite
staff-col-status = Estado
staff-col-actions = Acciones
staff-col-locator = Localizador
staff-status-booked = Reservada
staff-status-checked_in = Ha llegado
staff-status-completed = Atendida
staff-status-no_show = No vino
staff-status-cancelled = Anulada
staff-action-check-in = Ha llegado
staff-action-check-in-who = Ha llegado: { $who }
staff-action-complete = Atendida
staff-action-complete-who = Atendida: { $who }
staff-action-no-show = No vino
staff-action-no-show-who = No vino: { $who }
staff-action-cancel = Anular
staff-action-cancel-who = Anular la cita de { $who }
staff-done-check-in = { $who } ha llegado.
staff-done-complete = { $who }: atendida.
staff-done-no-show = { $who }: marcada como que no vino.
staff-done-cancel = Cita de { $who } anulada.
staff-done-undo-check-in = { $who } vuelve a estar reservada (llegada deshecha).
staff-done-already = La cita de { $who } ya había cambiado. Mira su estado en la agenda.
staff-no-show-early = { $who }: solo se puede marcar que no vino cuando ya ha pasado la hora de la cita.
staff-undo-check-in = Deshacer la llegada de { $locator }
staff-cancel-title = ¿Anular esta cita?
staff-cancel-question = La persona verá la cita anulada y su calendario también. Esto no se puede deshacer.
staff-cancel-button = Sí, anular la cita
staff-no-show-title = ¿Marcar que no vino?
staff-no-show-question = La cita quedará como «No vino». Esto no se puede deshacer.
staff-no-show-button = Sí, no vino
staff-keep = No, volver a la agenda
staff-reason-label = Motivo (opcional)
staff-reason-hint = Se guarda en el registro; la persona no lo ve.
staff-walk-in-title = Cita en ventanilla o por teléfono
staff-procedure-label = Trámite
staff-procedure-choose = Elige un trámite
staff-walk-in-date-label = Otro día (opcional)
staff-walk-in-date-hint = Déjalo vacío para ver las próximas horas libres.
staff-walk-in-show-times = Ver horas libres
staff-walk-in-next-times = Próximas horas libres
staff-walk-in-times-on = Horas libres el { $date }
staff-walk-in-none = No hay horas libres. Prueba otro día.
staff-walk-in-no-time = Elige una hora.
staff-walk-in-name-label = Nombre y apellidos
staff-walk-in-document-label = Número de documento
staff-walk-in-phone-label = Teléfono (opcional)
staff-walk-in-email-label = Correo electrónico (opcional)
staff-walk-in-book = Reservar la cita
staff-walk-in-taken = Esa hora se acaba de ocupar. Elige otra.
staff-walk-in-limit-procedure = Esta persona ya tiene una cita para este trámite. Búscala en la agenda para cambiarla o anularla.
staff-walk-in-limit-overlap = Esta persona ya tiene otra cita a esa hora. Elige otra hora.
staff-walk-in-done-title = Cita reservada
staff-walk-in-locator = Localizador:
staff-walk-in-tell = Díselo o dale este papel: con el localizador y su documento puede ver, cambiar o anular la cita.
staff-walk-in-another = Otra cita
staff-walk-in-to-agenda = Ver en la agenda
staff-closures-title = Cerrar la oficina
staff-closures-lead = Cierra la oficina uno o varios días (una huelga, una avería). Antes de confirmar verás las citas que se anularían.
staff-closure-from = Primer día cerrado
staff-closure-to = Último día cerrado
staff-closure-reason = Motivo
staff-closure-reason-hint = Las personas afectadas lo verán en la anulación.
staff-closure-see = Ver qué citas se anularían
staff-closure-check = Comprueba antes de cerrar
staff-closure-preview = Cerrar del { $from } al { $to } anulará { $count ->
    [one] 1 cita
   *[other] { $count } citas
}.
staff-closure-confirm = Cerrar y anular las citas
staff-closure-back = No, volver
staff-closure-done = Oficina cerrada del { $from } al { $to }. { $count ->
    [one] Se ha anulado 1 cita.
   *[other] Se han anulado { $count } citas.
}
staff-closure-from-bad = Escribe el primer día como fecha.
staff-closure-to-bad = Escribe el último día como fecha.
staff-closure-to-before = El último día no puede ser anterior al primero.
staff-closure-too-long = Un cierre dura como mucho 366 días.
staff-closure-reason-bad = Escribe el motivo (hasta 500 caracteres).
staff-nav-config = Configuración
staff-col-office = Oficina
staff-col-why = Motivo
staff-config-title = Configuración de las oficinas
staff-config-new = Cambiar la configuración
staff-config-lead = Cambia el texto de abajo o sube un archivo. No cambia nada hasta que se haya comprobado; si el cambio anulara citas, las verás antes.
staff-config-text = Configuración (TOML)
staff-config-text-hint = Empieza con la configuración vigente. Los problemas se indican por número de línea.
staff-config-file = O sube un archivo
staff-config-file-hint = Un archivo .toml. Si eliges uno, se usa en lugar del texto de arriba.
staff-config-apply = Comprobar y aplicar
staff-config-current = Configuración vigente
staff-config-version = versión
staff-config-none = Todavía no hay ninguna configuración guardada
staff-config-empty = Escribe o sube una configuración.
staff-config-file-bad = El archivo no es de texto (UTF-8). Sube el propio archivo .toml.
staff-config-invalid = La configuración tiene { $count ->
    [one] 1 problema
   *[other] { $count } problemas
}. No se ha cambiado nada.
staff-config-problems = Problemas que corregir
staff-config-line = Línea
staff-config-check = Comprueba antes de aplicar
staff-config-strands = Este cambio deja { $count ->
    [one] 1 cita
   *[other] { $count } citas
} sin sitio. Todavía no se ha cambiado nada. Si sigue, se anularán:
staff-config-cancel-them = Anular { $count ->
    [one] esta cita
   *[other] estas { $count } citas
} y aplicar
staff-config-keep = No, mantener la configuración vigente
staff-config-applied = La versión { $version } ya está en vigor. { $cancelled ->
    [0] No se ha anulado ninguna cita.
    [one] Se ha anulado 1 cita.
   *[other] Se han anulado { $cancelled } citas.
} { $moved ->
    [0] {""}
    [one] 1 cita ha pasado a otro puesto a la misma hora.
   *[other] { $moved } citas han pasado a otro puesto a la misma hora.
}
staff-config-unchanged = Esta ya es la configuración vigente; no ha cambiado nada.
staff-config-strand-office_removed = La oficina ya no está en la configuración
staff-config-strand-service_removed = La oficina ya no ofrece el trámite
staff-config-strand-no_desk = Ningún puesto puede atenderla a esa hora
staff-show-office = Mostrar
staff-nav-feeds = Enlaces de calendario
staff-feeds-title = Enlaces de calendario
staff-feeds-lead = Un enlace permite que una aplicación de calendario (Google Calendar, Outlook, Thunderbird, un móvil) muestre las citas de la oficina o de un puesto, con el nombre de las personas. La aplicación guarda su propia copia, en los servidores de su proveedor en el caso de Google y Outlook: usa solo los calendarios que tu organización permita, da el enlace solo al personal y revócalo cuando ya no haga falta.
staff-feed-new = Enlace nuevo
staff-feed-what = Citas que muestra
staff-feed-whole-office = Toda la oficina
staff-feed-desk = Puesto { $desk }
staff-feed-create = Crear el enlace
staff-feed-created = Enlace creado
staff-feed-once = Cópialo ahora: por seguridad no se guarda y no se volverá a mostrar. Si lo pierdes, crea otro y revoca este.
staff-feed-link = Enlace del calendario (.ics)
staff-feed-copy = Copiar el enlace
staff-feed-copied = Enlace copiado.
staff-feed-how = Cómo añadirlo a un calendario
staff-feed-google = En un ordenador, abre Google Calendar. Junto a «Otros calendarios» elige «+» y después «Desde URL». Pega el enlace y elige «Añadir calendario».
staff-feed-outlook = En Outlook en la web, abre el calendario y elige «Agregar calendario» y después «Suscribirse desde la web». Pega el enlace, ponle un nombre y elige «Importar».
staff-feed-thunderbird = En el calendario, elige «Nuevo calendario…» y después «En la red». Pega el enlace como ubicación, elige «Buscar calendarios» y después «Suscribirse».
staff-feed-refresh = Las aplicaciones de calendario vuelven a leer el enlace cada pocas horas (Google, hasta una vez al día), así que un cambio puede tardar en verse.
staff-feed-live = Enlaces en uso
staff-feed-none = Esta oficina no tiene enlaces de calendario.
staff-feed-created-at = Creado
staff-feed-revoke = Revocar
staff-feed-revoke-check = ¿Revocar este enlace?
staff-feed-revoke-effect = Los calendarios suscritos dejarán de recibir cambios; las citas que ya copiaron siguen allí hasta que se quite la suscripción en cada aplicación. No se puede deshacer.
staff-feed-revoke-confirm = Revocar el enlace
staff-feed-revoked = Se ha revocado el enlace.
staff-nav-stats = Estadísticas
staff-stats-title = Estadísticas
staff-stats-from = Desde
staff-stats-to = Hasta
staff-stats-show = Mostrar
staff-stats-csv = Descargar en CSV (hoja de cálculo)
staff-stats-summary = Del { $from } al { $to }: { $booked ->
    [one] 1 cita
   *[other] { $booked } citas
}; se ha usado el { $share } del tiempo de los puestos.
staff-stats-booked = Reservadas
staff-stats-attended = Atendidas
staff-stats-no-show = No vinieron
staff-stats-pending = Aún sin marcar
staff-stats-cancelled = Anuladas
staff-stats-share = Tiempo de puesto usado
staff-stats-by-procedure = Por trámite
staff-stats-by-day = Por día
staff-stats-day = Día
staff-stats-total = Todos los trámites
staff-stats-explain = «Reservadas» cuenta todas las citas del día, pasara lo que pasara con ellas. «Tiempo de puesto usado» es el tiempo de las citas no anuladas sobre el tiempo que los puestos estuvieron abiertos.
staff-stats-too-long = Elige como mucho { $days } días.
staff-nav-audit = Registro de actividad
staff-audit-title = Registro de actividad
staff-audit-day = Día
staff-audit-day-hint = Déjalo vacío para ver todos los días.
staff-audit-day-bad = Escribe el día como fecha, o déjalo vacío.
staff-audit-action = Qué pasó
staff-audit-action-bad = Elige una de las acciones de la lista.
staff-audit-any = Todas las acciones
staff-audit-none = No hay nada que coincida.
staff-audit-when = Cuándo
staff-audit-who = Quién
staff-audit-detail = Detalle
staff-audit-pages = Páginas del registro
staff-audit-newest = Lo más reciente
staff-audit-older = Anteriores
staff-audit-actor-citizen = La persona citada
staff-audit-actor-system = El sistema
staff-audit-actor-staff = Personal (usuario eliminado)
staff-audit-action-booked = Reservada
staff-audit-action-rescheduled = Cambiada de hora
staff-audit-action-checked_in = Llegada registrada
staff-audit-action-check_in_undone = Llegada deshecha
staff-audit-action-completed = Atendida
staff-audit-action-no_show = No vino
staff-audit-action-cancelled = Anulada
staff-audit-action-erased = Datos personales borrados
staff-stats-chart = Gráfico por día
staff-config-too-large-title = La configuración es demasiado grande
staff-config-too-large = El texto y el archivo juntos pueden ocupar hasta 2 MB. No se ha cambiado nada. Vuelve atrás, vacía el cuadro de texto si subes un archivo e inténtalo de nuevo.
staff-audit-moved = Del { $from } al { $to }
staff-audit-held-back = Volvió a estar libre a los { $minutes } min
staff-feed-by = Creado por
staff-feed-by-cli = la línea de órdenes

## Sorteo de citas
draw-title = Sorteo de citas
draw-how = Las citas de estos días no se dan por orden de llegada: se sortean entre las personas que se apuntan. Da igual apuntarse pronto o tarde. Cada persona se apunta una sola vez.
draw-when = Puedes apuntarte hasta el { $close_date } a las { $close_time }. El sorteo es el { $date } a las { $time }.
draw-dates = Días que se sortean: del { $first } al { $last }.
draw-dates-one = Día que se sortea: { $first }.
draw-not-yet = Todavía no te puedes apuntar: podrás hacerlo desde el { $date } a las { $time }.
draw-closed = Ya no te puedes apuntar. El sorteo es el { $date } a las { $time }.
draw-drawn = Este sorteo ya se hizo. Las citas que quedaron libres se pueden pedir de la forma habitual.
draw-dates-label = ¿Qué días puedes venir?
draw-from-label = Desde el
draw-to-label = Hasta el
draw-part-label = ¿A qué hora puedes venir?
draw-part-any = A cualquier hora
draw-part-morning = Por la mañana (antes de las 14:00)
draw-part-afternoon = Por la tarde (desde las 14:00)
draw-button = Apuntarme al sorteo
draw-entered-title = Ya estás en el sorteo
draw-entered-lead = El sorteo es el { $date } a las { $time }. Después, vuelve a esta web para ver si te ha tocado cita.
draw-code-label = Tu código del sorteo es
draw-code-hint = Apúntalo o hazle una foto: con este código y tu documento verás el resultado desde cualquier teléfono u ordenador.
draw-receipt = Comprobante, para quien quiera revisar el sorteo
draw-receipt-draw = Sorteo
draw-receipt-salt = Clave
draw-receipt-hash = Huella de tu inscripción
draw-receipt-hint = Antes del sorteo se publica la lista de inscripciones sin nombres ni documentos. La huella de la tuya es el SHA-256 de «clave:tipo de documento:número».
draw-result-link = Ver el resultado del sorteo
draw-result-title = Resultado del sorteo
draw-result-lead = Escribe el código que te dimos al apuntarte y tu documento.
draw-result-other = Ver otra inscripción
draw-code-field = Código del sorteo
draw-code-field-hint = Ocho letras y números, por ejemplo 7K3MZQ2D.
draw-result-button = Ver el resultado
draw-result-waiting = El sorteo todavía no se ha hecho. Será el { $date } a las { $time }.
draw-result-assigned = Te ha tocado cita: { $when }.
draw-result-locator = Este es el localizador de tu cita. Con él y tu documento puedes verla, cambiarla o anularla en «Mi cita».
draw-result-refused = Te tocó una hora, pero no se pudo reservar: con este documento ya había una cita de este trámite, o tenía que esperar unos días para pedir otra.
draw-result-none = Esta vez no quedó ninguna cita para los días y horas que elegiste. Puedes apuntarte al próximo sorteo.
draw-result-priority = En el próximo irás por delante de quienes se apunten por primera vez.
draw-error-dates = Elige los días que puedes venir: el primero no puede ser después del último.
draw-error-entered = Con este documento ya hay una inscripción en este sorteo. Cada persona se apunta una sola vez.
draw-error-limit = Con este documento no te puedes apuntar a este sorteo: ya tiene una cita de este trámite, o tiene que esperar unos días para pedir otra.
draw-error-closed = Este sorteo ya no admite inscripciones.
draw-error-code-empty = Escribe el código del sorteo.
draw-error-not-found = No encontramos ninguna inscripción con ese código y ese documento. Revisa los dos.

## Sala de espera
queue-title = Sala de espera
queue-how-title = Cómo funciona
queue-how = Las citas de este trámite se abren el { $date } a las { $time }. Desde las { $opens } puedes entrar en esta sala. A las { $time }, todas las personas que estén dentro reciben un turno al azar: llegar antes no da ventaja, así que no hace falta darse prisa. Quien llega después de las { $time } va detrás, por orden de llegada. Cuando llegue tu turno podrás elegir fecha y hora. Hay un turno por persona (por documento).
queue-not-yet = La sala de espera todavía no está abierta. Abre a las { $opens }. Vuelve a esta página a esa hora.
queue-closed = La sala de espera ya ha terminado. Las citas que quedan se dan por orden de llegada.
queue-join-lead = Entra en la sala para recibir tu turno.
queue-join = Entrar en la sala de espera
queue-waiting-draw = Ya estás dentro. A las { $time } recibirás tu turno al azar. No cierres esta página.
queue-place = Tu turno es el { $place } de { $total }. Te toca hacia las { $time } (en unos { $minutes } minutos). No cierres esta página.
queue-your-turn = Ya es tu turno. Elige fecha y hora antes de 10 minutos; si tardas más, vuelve a esta página y sigue.
queue-go = Elegir fecha y hora
queue-refresh = Esta página se actualiza sola cada { $seconds } segundos.
day-queue = Se abre el { $date } a las { $time }, con sala de espera
queue-document-hint = El documento de la persona que necesita la cita: el turno solo vale para ese documento. Ejemplo: 12345678Z

## Equidad
staff-nav-fairness = Equidad
staff-fairness-title = Equidad de las aperturas
staff-fairness-lead = Para cada apertura de citas en estas fechas: cuántas personas se apuntaron, quién se llevó las citas y con qué rapidez se acabaron. Si unas pocas conexiones reservan para muchos documentos, es señal de reventa.
staff-fairness-none = No hay aperturas de citas en esas fechas.
staff-fairness-releases = Aperturas
staff-fairness-release = Apertura
staff-fairness-mode = Forma
staff-fairness-mode-first-come = Por orden de llegada
staff-fairness-mode-room = Con sala de espera
staff-fairness-mode-draw = Por sorteo
staff-fairness-entrants = Apuntadas
staff-fairness-appointments = Citas dadas
staff-fairness-given = { $public } por internet, { $staff } en ventanilla o por teléfono
staff-fairness-addresses = Conexiones
staff-fairness-documents = Documentos por conexión (máximo)
staff-fairness-top = Del 1 % de conexiones que más reservó
staff-fairness-sold-out = Se acabaron en
staff-fairness-seconds = { $seconds } s
staff-fairness-cancelled = Anuladas por la persona
staff-fairness-chart = Parte de las citas de cada apertura que se llevó el 1 % de conexiones que más reservó
staff-fairness-explain = «Apuntadas» son las inscripciones de un sorteo o los turnos de una sala de espera (los turnos se guardan dos días). Las conexiones se guardan cifradas y se borran con los datos personales, así que las aperturas antiguas no las tienen. «Se acabaron en» es el tiempo hasta que se reservaron todas las citas que le tocaban al público.
staff-fairness-cancelled-back = { $count } (libres de nuevo a los { $minutes } min, de media)
staff-fairness-bar = { $procedure } · { $when } · { $mode } · { $count } citas por internet

## Mensajes a la ciudadanía (correo). Palabras sencillas; nunca el número de documento.
mail-greeting = Hola, { $name }:
mail-subject-booked = Cita confirmada: { $procedure }, { $date } a las { $time }
mail-subject-rescheduled = Cita cambiada: { $procedure }, ahora { $date } a las { $time }
mail-subject-cancelled = Cita anulada: { $procedure }, { $date } a las { $time }
mail-subject-no_show = No acudiste a tu cita de { $procedure }
mail-subject-reminder = Recordatorio: cita de { $procedure }, { $date } a las { $time }
mail-lead-booked = Tu cita está confirmada. Te esperamos en la oficina.
mail-lead-rescheduled = Tu cita ha cambiado de día u hora. Estos son los datos nuevos. El localizador es el mismo.
mail-lead-rescheduled-from = Antes era: { $date } a las { $time }.
mail-lead-cancelled = Tu cita está anulada. Ya no tienes que ir a la oficina.
mail-lead-no_show = No acudiste a tu cita. Si todavía necesitas hacer el trámite, pide una cita nueva.
mail-lead-reminder = Te recordamos tu cita. Si no puedes ir, anúlala para que otra persona pueda usar esa hora.
mail-reason = Motivo: { $reason }
mail-procedure = Trámite
mail-office = Oficina
mail-address = Dirección
mail-day = Día
mail-time = Hora
mail-locator = Localizador
mail-bring = Qué llevar
mail-bring-always = Tu documento de identidad (DNI, NIE o pasaporte).
mail-manage = Para ver, cambiar o anular la cita, entra en esta página con tu localizador y tu documento:
mail-book-again = Para pedir una cita nueva:
mail-calendar-request = El archivo adjunto añade la cita a tu calendario y la mueve si cambia.
mail-calendar-cancel = El archivo adjunto quita la cita de tu calendario.
mail-footer = Este correo se envía de forma automática. No respondas a este correo.

## Personal: mensajes que no se pudieron enviar
staff-nav-messages = Mensajes no enviados
staff-messages-title = Mensajes no enviados
staff-messages-lead = Avisos a la ciudadanía (correo o pasarela de SMS) que no se pudieron enviar. Un código 550 u otro 5xx suele ser una dirección mal escrita: busca la cita por su localizador en la agenda y avisa a la persona por otro medio. Si fallaron muchos a la vez, revisa los datos del servidor de correo y envíalos de nuevo. Se guardan 30 días.
staff-messages-none = No hay mensajes sin enviar.
staff-messages-what = Aviso
staff-messages-channel = Canal
staff-messages-locator = Localizador
staff-messages-when = Previsto para
staff-messages-attempts = Intentos
staff-messages-error = Último error (del servidor)
staff-messages-retry = Enviar de nuevo
staff-messages-queued = El mensaje se enviará de nuevo en unos segundos.
staff-messages-event-booked = Confirmación
staff-messages-event-rescheduled = Cambio de cita
staff-messages-event-cancelled = Anulación
staff-messages-event-no_show = Cita perdida
staff-messages-event-reminder = Recordatorio
staff-messages-channel-email = Correo
staff-messages-channel-webhook = Webhook (SMS)
mail-subject-link = Tus citas: el enlace que pediste
mail-lead-link = Con este enlace ves todas tus citas, en todas las oficinas, y puedes añadirlas a la aplicación de calendario de tu móvil.
mail-link-expiry = El enlace funciona durante { $minutes } minutos.
mail-link-ignore = Si no lo has pedido tú, no hagas nada: sin abrir el enlace nadie ve tus citas.
mail-link-open = Abre este enlace:
mail-link-footer = Este correo se envía de forma automática. No respondas a este correo. Puedes pedir otro enlace en { $url }
staff-messages-event-link = Enlace a «Mis citas»

## Mis citas: todas las citas de una persona y su calendario
mine-title = Mis citas
mine-list-title = Tus citas
mine-lead = Escribe tu documento y el correo que diste al pedir tus citas. Te enviaremos a ese correo un enlace para ver todas tus citas, en todas las oficinas, y añadirlas al calendario de tu móvil.
mine-document-hint = DNI, NIE o pasaporte, como lo escribiste al pedir la cita.
mine-email-label = Correo electrónico
mine-email-hint = El mismo que diste al pedir la cita.
mine-send = Enviarme el enlace
mine-sent-title = Revisa tu correo
mine-sent = Si hay citas pedidas con ese documento y ese correo, te hemos enviado un enlace. Funciona durante 30 minutos. Si no llega en unos minutos, mira en la carpeta de correo no deseado.
mine-again = Pedir otro enlace
mine-link-expired = Este enlace ha caducado o no es válido. Pide otro aquí.
mine-list-lead = Estas son tus citas pendientes, en todas las oficinas. Por seguridad, esta página deja de verse 30 minutos después de pedir el enlace.
mine-none = No tienes citas pendientes.
mine-locator = Localizador
mine-manage = Para cambiar o anular una cita:
mine-calendar-title = Tus citas en tu calendario
mine-calendar-lead = Crea un enlace de calendario y añádelo a la aplicación de calendario de tu móvil (Google Calendar, Outlook, Calendario de Apple). Las citas aparecerán solas y se moverán o desaparecerán si cambian. Quien tenga el enlace puede ver tus citas: no lo compartas.
mine-feed-create = Crear un enlace de calendario
mine-feed-created = Enlace de calendario creado. Cópialo ahora: no se volverá a mostrar.
mine-feed-link = Enlace de calendario
mine-feed-how = En tu aplicación de calendario, elige «Añadir calendario» y «Desde URL» (o «Suscribirse»), y pega el enlace.
mine-feed-open = Abrir en mi aplicación de calendario
mine-feeds-live = Enlaces de calendario en uso
mine-feed-made = Creado el
mine-feed-revoke = Desactivar este enlace
mine-feed-revoked = El enlace de calendario ya no funciona. Los calendarios que lo usaban dejarán de actualizarse.
mine-feeds-full = Ya tienes 5 enlaces de calendario. Desactiva uno para crear otro.
mine-leave = Cerrar
mine-leave-title = Cuando termines
mine-leave-lead = Pulsa «Cerrar» para que nadie más vea tus citas en este dispositivo. Para verlas otra vez, pide otro enlace.
mine-left = Has cerrado tus citas en este dispositivo. Para verlas otra vez, pide otro enlace.
mine-error-email-empty = Escribe tu correo electrónico.
mine-error-email = Ese correo no parece válido. Escríbelo así: nombre@ejemplo.es
start-mine = Ver todas mis citas
mine-closed = Tus citas se han cerrado en este dispositivo porque pasaron 30 minutos desde que pediste el enlace. Para verlas otra vez, pide otro.
