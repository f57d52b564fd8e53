from django.contrib import admin

from invoicing import models

admin.site.register([models.Company, models.Partner, models.Tax, models.Item, models.PaymentMethod])
